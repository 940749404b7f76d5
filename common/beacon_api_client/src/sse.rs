//! Server-Sent Events framing (the `text/event-stream` format of the HTML standard): frames
//! end at a blank line; `event:` names the topic and `data:` lines carry the payload.

/// One complete event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseFrame {
    pub event: String,
    pub data: String,
}

/// Take every complete frame out of `buffer`, leaving a partial one in place. Comments
/// (`:` lines, keep-alives) and frames without data are dropped.
pub fn parse_sse_frames(buffer: &mut Vec<u8>) -> Vec<SseFrame> {
    let mut frames = Vec::new();
    while let Some((end, separator_len)) = find_frame_end(buffer) {
        let raw: Vec<u8> = buffer.drain(..end + separator_len).collect();
        let text = String::from_utf8_lossy(&raw[..end]);
        let mut event = String::from("message");
        let mut data: Vec<&str> = Vec::new();
        for line in text.lines() {
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match field {
                "event" => event = value.to_string(),
                "data" => data.push(value),
                _ => {}
            }
        }
        if !data.is_empty() {
            frames.push(SseFrame {
                event,
                data: data.join("\n"),
            });
        }
    }
    frames
}

/// Where the first frame ends (a blank line, `\n\n` or `\r\n\r\n`).
fn find_frame_end(buffer: &[u8]) -> Option<(usize, usize)> {
    let lf = buffer.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
    let crlf = buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_across_chunks_are_kept_until_complete() {
        let mut buffer = b"event: head\ndata: {\"slot\":".to_vec();
        assert!(parse_sse_frames(&mut buffer).is_empty());
        buffer.extend_from_slice(b"\"1\"}\n\n: keep-alive\n\nevent: block\ndata: x\n\nevent: ");
        let frames = parse_sse_frames(&mut buffer);
        assert_eq!(
            frames,
            vec![
                SseFrame {
                    event: "head".into(),
                    data: "{\"slot\":\"1\"}".into()
                },
                SseFrame {
                    event: "block".into(),
                    data: "x".into()
                },
            ]
        );
        assert_eq!(buffer, b"event: ");
    }

    #[test]
    fn multi_line_data_and_crlf() {
        let mut buffer = b"event:a\r\ndata:1\r\ndata:2\r\n\r\n".to_vec();
        let frames = parse_sse_frames(&mut buffer);
        assert_eq!(frames[0].event, "a");
        assert_eq!(frames[0].data, "1\n2");
        assert!(buffer.is_empty());
    }
}
