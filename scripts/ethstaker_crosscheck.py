"""Cross-check Fresnel's key tooling with ethstaker-deposit 1.3.1 (run by
validator_client/account_manager/tests/ethstaker_crosscheck.rs).

Usage: ethstaker_crosscheck.py MNEMONIC COUNT PASSWORD OURS_DIR THEIRS_DIR

Prints one JSON object: for each validator index its signing and withdrawal keys and paths
as ethstaker-deposit derives them, the secrets it decrypts from our keystores in OURS_DIR,
and writes its own keystores to THEIRS_DIR (scrypt for even indices, pbkdf2 for odd).
"""
import json
import os
import sys

from ethstaker_deposit.key_handling.key_derivation.path import mnemonic_and_path_to_key
from ethstaker_deposit.key_handling.keystore import Keystore, Pbkdf2Keystore, ScryptKeystore


def main():
    mnemonic, count, password, ours_dir, theirs_dir = sys.argv[1:6]
    out = {"validators": [], "decrypted_ours": {}}
    for index in range(int(count)):
        signing_path = f"m/12381/3600/{index}/0/0"
        withdrawal_path = f"m/12381/3600/{index}/0"
        signing = mnemonic_and_path_to_key(mnemonic=mnemonic, path=signing_path, password="")
        withdrawal = mnemonic_and_path_to_key(mnemonic=mnemonic, path=withdrawal_path, password="")
        secret = signing.to_bytes(32, "big")
        kind = ScryptKeystore if index % 2 == 0 else Pbkdf2Keystore
        keystore = kind.encrypt(secret=secret, password=password, path=signing_path)
        keystore.save(os.path.join(theirs_dir, f"keystore-{index}.json"))
        out["validators"].append({
            "index": index,
            "signing_path": signing_path,
            "signing_sk": secret.hex(),
            "withdrawal_path": withdrawal_path,
            "withdrawal_sk": withdrawal.to_bytes(32, "big").hex(),
            "pubkey": keystore.pubkey,
        })
    for name in sorted(os.listdir(ours_dir)):
        keystore = Keystore.from_file(os.path.join(ours_dir, name))
        out["decrypted_ours"][name] = {
            "secret": keystore.decrypt(password).hex(),
            "pubkey": keystore.pubkey,
            "path": keystore.path,
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
