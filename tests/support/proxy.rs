//! A loopback TCP proxy that can "cut the network": while cut, nothing is forwarded and
//! nothing is closed, so both ends see a silent, half-open connection (as when a NAT or
//! a mobile link drops state) and only keep-alive can notice. Connections that lived
//! through a cut are closed on restore, like the dead paths they model.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    /// Bumped on every cut; a connection from an older generation is closed on restore.
    generation: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<(u64, TcpStream, TcpStream)>>>,
}

impl Proxy {
    pub fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let p = Proxy {
            port,
            cut: Arc::new(AtomicBool::new(false)),
            generation: Arc::new(AtomicU64::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
            conns: Arc::new(Mutex::new(Vec::new())),
        };
        let (cut, generation, stop, conns) = (
            p.cut.clone(),
            p.generation.clone(),
            p.stop.clone(),
            p.conns.clone(),
        );
        thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                            continue;
                        };
                        let gen = generation.load(Ordering::SeqCst);
                        conns.lock().unwrap().push((
                            gen,
                            client.try_clone().unwrap(),
                            server.try_clone().unwrap(),
                        ));
                        pump(
                            client.try_clone().unwrap(),
                            server.try_clone().unwrap(),
                            cut.clone(),
                            stop.clone(),
                        );
                        pump(server, client, cut.clone(), stop.clone());
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(10))
                    }
                    Err(_) => break,
                }
            }
        });
        p
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stop forwarding in both directions, silently.
    pub fn cut(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.cut.store(true, Ordering::SeqCst);
    }

    /// Forward again; connections that were open during the cut are closed.
    pub fn restore(&self) {
        let current = self.generation.load(Ordering::SeqCst);
        let mut conns = self.conns.lock().unwrap();
        conns.retain(|(gen, a, b)| {
            if *gen < current {
                let _ = a.shutdown(Shutdown::Both);
                let _ = b.shutdown(Shutdown::Both);
                false
            } else {
                true
            }
        });
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for (_, a, b) in self.conns.lock().unwrap().drain(..) {
            let _ = a.shutdown(Shutdown::Both);
            let _ = b.shutdown(Shutdown::Both);
        }
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, cut: Arc<AtomicBool>, stop: Arc<AtomicBool>) {
    from.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            if cut.load(Ordering::SeqCst) {
                // Not reading: the kernel buffers fill, the peer hears nothing.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
            match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => break,
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
