//! Describing how two values differ, for failure messages: both are serialized to JSON and the
//! first few differing paths are listed with their values.

use serde::Serialize;
use serde_json::Value;

/// At most this many differing paths are listed.
const MAX_PATHS: usize = 6;

/// Shorten `s` to at most `max` characters.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The differing paths of `actual` and `expected` (`got` = actual).
pub fn json_diff<T: Serialize>(actual: &T, expected: &T) -> String {
    let (a, e) = match (serde_json::to_value(actual), serde_json::to_value(expected)) {
        (Ok(a), Ok(e)) => (a, e),
        (Err(err), _) | (_, Err(err)) => return format!("(values differ; cannot describe: {err})"),
    };
    let mut out = Vec::new();
    let mut total = 0usize;
    walk("", &a, &e, &mut out, &mut total);
    if out.is_empty() {
        return "(values differ, but not in their JSON form)".to_string();
    }
    let more = if total > out.len() {
        format!(" (and {} more)", total - out.len())
    } else {
        String::new()
    };
    format!("{}{more}", out.join("; "))
}

/// How a post-state differs from the expected one.
pub fn state_diff<T: Serialize>(actual: &T, expected: &T) -> String {
    format!(
        "state differs from expected at {}",
        json_diff(actual, expected)
    )
}

fn short(v: &Value) -> String {
    truncate(&v.to_string(), 120)
}

fn walk(path: &str, a: &Value, e: &Value, out: &mut Vec<String>, total: &mut usize) {
    match (a, e) {
        (Value::Object(ma), Value::Object(me)) => {
            for (k, va) in ma {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match me.get(k) {
                    Some(ve) => walk(&p, va, ve, out, total),
                    None => push(out, total, format!("{p}: unexpected field")),
                }
            }
            for k in me.keys().filter(|k| !ma.contains_key(*k)) {
                push(out, total, format!("{path}.{k}: missing field"));
            }
        }
        (Value::Array(va), Value::Array(ve)) => {
            if va.len() != ve.len() {
                push(
                    out,
                    total,
                    format!("{path}: length {} (expected {})", va.len(), ve.len()),
                );
            }
            for (i, (x, y)) in va.iter().zip(ve).enumerate() {
                walk(&format!("{path}[{i}]"), x, y, out, total);
            }
        }
        _ if a != e => push(
            out,
            total,
            format!("{path}: got {} (expected {})", short(a), short(e)),
        ),
        _ => {}
    }
}

fn push(out: &mut Vec<String>, total: &mut usize, line: String) {
    *total += 1;
    if out.len() < MAX_PATHS {
        out.push(line);
    }
}
