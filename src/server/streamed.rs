//! Response bodies written as they are made: full-data downloads (`/api/result`, its CSV) write into a
//! [`std::io::Write`] on the blocking pool, and each 64 KB written travels to the client through a channel of
//! four, so a download holds about 320 KB whatever its size. When the client goes away the channel closes, the
//! next write fails, and the work stops; an error after the first byte ends the response abruptly (the client
//! sees an incomplete body, never a truncated one that looks whole).

use std::io::Write;

use axum::body::Body;
use bytes::Bytes;
use tokio::sync::mpsc;

/// How many bytes are sent at a time.
const PIECE: usize = 64 << 10;
/// How many pieces wait for the client at most.
const WAITING: usize = 4;

/// A body written by `write` on the blocking pool as the client reads it.
pub fn body(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'static) -> Body {
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(WAITING);
    tokio::task::spawn_blocking(move || {
        let mut out = Sender {
            tx: tx.clone(),
            buffer: Vec::with_capacity(PIECE),
        };
        if let Err(e) = write(&mut out).and_then(|()| out.send()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                tracing::warn!("a download stopped: {e}");
                let _ = tx.blocking_send(Err(e));
            }
        }
    });
    Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
}

struct Sender {
    tx: mpsc::Sender<std::io::Result<Bytes>>,
    buffer: Vec<u8>,
}

impl Sender {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(PIECE),
        ));
        self.tx.blocking_send(Ok(piece)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl Write for Sender {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= PIECE {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}
