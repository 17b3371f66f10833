//! Outgoing e-mail. Everything that sends mail takes a `dyn Mailer`: the
//! server uses SMTP ([`SmtpMailer`]), tests and the demo use
//! [`CapturingMailer`], which keeps what would have been sent.
//!
//! Bodies never carry patient-identifying content, only links; callers are
//! responsible for that, this crate only delivers.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use thiserror::Error;

/// One plain-text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Error)]
pub enum MailError {
    #[error("bad address {0:?}")]
    Address(String),
    #[error("mail could not be built: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Transport(String),
    #[error("SMTP is not configured (RENKEI_SMTP_URL)")]
    NotConfigured,
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

/// Something that delivers mail.
pub trait Mailer: Send + Sync {
    fn send(&self, mail: Mail) -> SendFuture<'_>;
    /// Whether mail really leaves this process (false for the capturing sink).
    fn delivers(&self) -> bool;
}

/// SMTP through lettre. The URL is lettre's: `smtp://host:587` (STARTTLS
/// when offered), `smtp://host:587?tls=required`, `smtps://user:pass@host:465`.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Transport(e.to_string()))?
            .build();
        let from = from
            .parse()
            .map_err(|_| MailError::Address(from.to_string()))?;
        Ok(Self { transport, from })
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: Mail) -> SendFuture<'_> {
        Box::pin(async move {
            let to = mail
                .to
                .parse()
                .map_err(|_| MailError::Address(mail.to.clone()))?;
            let message = Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(mail.subject)
                .header(ContentType::TEXT_PLAIN)
                .body(mail.body)
                .map_err(|e| MailError::Build(e.to_string()))?;
            self.transport
                .send(message)
                .await
                .map_err(|e| MailError::Transport(e.to_string()))?;
            Ok(())
        })
    }

    fn delivers(&self) -> bool {
        true
    }
}

/// Keeps every message instead of sending it: tests read them back, and
/// the demo shows them.
#[derive(Clone, Default)]
pub struct CapturingMailer {
    sent: Arc<Mutex<Vec<Mail>>>,
}

impl CapturingMailer {
    pub fn sent(&self) -> Vec<Mail> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Mailer for CapturingMailer {
    fn send(&self, mail: Mail) -> SendFuture<'_> {
        Box::pin(async move {
            if !mail.to.contains('@') {
                return Err(MailError::Address(mail.to));
            }
            if let Ok(mut v) = self.sent.lock() {
                v.push(mail);
            }
            Ok(())
        })
    }

    fn delivers(&self) -> bool {
        false
    }
}

/// Refuses to send: the server without RENKEI_SMTP_URL.
pub struct NoMailer;

impl Mailer for NoMailer {
    fn send(&self, _: Mail) -> SendFuture<'_> {
        Box::pin(async { Err(MailError::NotConfigured) })
    }

    fn delivers(&self) -> bool {
        false
    }
}

/// The mailer a configuration asks for.
pub fn from_config(url: Option<&str>, from: &str) -> Result<Arc<dyn Mailer>, MailError> {
    match url {
        Some(u) if !u.is_empty() => Ok(Arc::new(SmtpMailer::new(u, from)?)),
        _ => Ok(Arc::new(NoMailer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn smtp_mailer_speaks_smtp_to_a_local_server() {
        // A minimal SMTP server on 127.0.0.1 that accepts one message.
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 test ESMTP\r\n").await.unwrap();
            let mut data = String::new();
            let mut in_data = false;
            while let Ok(Some(line)) = lines.next_line().await {
                if in_data {
                    if line == "." {
                        in_data = false;
                        write.write_all(b"250 queued\r\n").await.unwrap();
                    } else {
                        data.push_str(&line);
                        data.push('\n');
                    }
                    continue;
                }
                let reply: &[u8] = match line.split(' ').next().unwrap_or("") {
                    "EHLO" | "HELO" => b"250 test\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go on\r\n"
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    }
                    _ => b"250 ok\r\n",
                };
                write.write_all(reply).await.unwrap();
            }
            data
        });
        let mailer =
            SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "renkei@example.jp").unwrap();
        mailer
            .send(Mail {
                to: "cm@example.jp".into(),
                subject: "掲載情報の確認のお願い".into(),
                body: "https://renkei.example.jp/directory/entries/1".into(),
            })
            .await
            .unwrap();
        drop(mailer);
        let data = tokio::time::timeout(std::time::Duration::from_secs(10), server)
            .await
            .unwrap()
            .unwrap();
        assert!(data.contains("To: cm@example.jp"), "{data}");
        assert!(
            data.contains("Subject: =?utf-8?"),
            "Japanese subject encoded: {data}"
        );
    }
}
