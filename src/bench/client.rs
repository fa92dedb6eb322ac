//! A minimal HTTP/1.1 client over loopback TCP, so that latencies include nothing but the server and the socket.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response: status, body (raw: chunked bodies keep their chunk headers) and how long it took.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

/// Sends one request on a new connection and reads the whole response. Like a browser, curl --compressed or
/// Python's requests, it accepts gzip.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<Response> {
    send(addr, method, path, body, true).await
}

/// Sends one request, accepting gzip or not.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    accept_gzip: bool,
) -> std::io::Result<Response> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if accept_gzip {
        head.push_str("Accept-Encoding: gzip\r\n");
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    if let Some(body) = body {
        stream.write_all(body.as_bytes()).await?;
    }
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let elapsed = started.elapsed();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |i| i + 4);
    let status = status_of(&raw[..split.min(raw.len())]);
    Ok(Response {
        status,
        body: raw[split..].to_vec(),
        elapsed,
    })
}

/// The status code of a response's head (`HTTP/1.1 200 OK`); 0 when there is none.
fn status_of(head: &[u8]) -> u16 {
    std::str::from_utf8(head)
        .ok()
        .and_then(|h| h.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub async fn get(addr: SocketAddr, path: &str) -> std::io::Result<Response> {
    request(addr, "GET", path, None).await
}

/// One keep-alive connection, as a browser, `requests.Session` or a load tool such as `oha` holds it: requests
/// go one after another on the same socket. Responses must carry `Content-Length` (every non-streaming answer
/// of the monitor does).
pub struct Connection {
    stream: tokio::io::BufReader<TcpStream>,
    addr: SocketAddr,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: tokio::io::BufReader::with_capacity(64 * 1024, stream),
            addr,
        })
    }

    /// `GET path`, accepting gzip; the time covers writing the request to reading the body's last byte.
    pub async fn get(&mut self, path: &str) -> std::io::Result<Response> {
        use tokio::io::AsyncBufReadExt;
        let started = Instant::now();
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept-Encoding: gzip\r\n\r\n",
            self.addr
        );
        self.stream.get_mut().write_all(head.as_bytes()).await?;
        let invalid =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("no HTTP status line"))?;
        let mut length = None;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(invalid("connection closed inside the headers"));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let length =
            length.ok_or_else(|| invalid("a keep-alive response without Content-Length"))?;
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok(Response {
            status,
            body,
            elapsed: started.elapsed(),
        })
    }
}

/// What a full-data download cost: the time to its first body byte and to its end, its size, and how much the
/// server's resident memory grew while it was read (sampled from `/proc/{pid}` at each megabyte).
pub struct Download {
    pub status: u16,
    pub first_byte: Duration,
    pub elapsed: Duration,
    pub bytes: usize,
    pub rss_growth_mb: f64,
}

/// GETs `path` on a new connection and reads the body a megabyte at a time, watching the server `pid`.
pub async fn download(addr: SocketAddr, path: &str, pid: u32) -> std::io::Result<Download> {
    let rss = || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .split_whitespace()
            .next()?
            .parse::<f64>()
            .ok()
            .map(|kb| kb / 1024.0)
    };
    let before = rss().unwrap_or(0.0);
    let mut peak = before;
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await?;
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut raw_head = Vec::new();
    let mut first_byte = None;
    let mut bytes = 0;
    loop {
        let got = stream.read(&mut buffer).await?;
        if got == 0 {
            break;
        }
        if first_byte.is_none() {
            raw_head.extend_from_slice(&buffer[..got]);
            if let Some(end) = raw_head.windows(4).position(|w| w == b"\r\n\r\n") {
                if raw_head.len() > end + 4 {
                    first_byte = Some(started.elapsed());
                    bytes += raw_head.len() - end - 4;
                }
            }
            continue;
        }
        bytes += got;
        peak = peak.max(rss().unwrap_or(0.0));
    }
    let status = status_of(&raw_head[..raw_head.len().min(16)]);
    Ok(Download {
        status,
        first_byte: first_byte.unwrap_or_default(),
        elapsed: started.elapsed(),
        bytes,
        rss_growth_mb: peak - before,
    })
}

/// A figure of a process's memory from /proc (`VmRSS`, `VmHWM`: the peak), in MB.
pub(super) fn memory_mb(pid: u32, key: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}
