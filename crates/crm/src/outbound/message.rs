//! The recorded information message an abandoned callee hears (the law's "who called and how to
//! call back"): the organization's name and its number, in the language of its country (Polish
//! for PL, Hebrew for IL, English otherwise). It is spoken by espeak-ng and made 8 kHz by sox —
//! both installed with the queue prompts (`scripts/prompts.sh`) — once per organization, name
//! and number, and kept in the files folder (`dialer/`), where a manager may put a recording of
//! their own under the same name. Without espeak-ng or sox the message is a short tone, and the
//! log says so.

use crate::{Crm, CrmError, OrgId};
use std::path::{Path, PathBuf};
use telephony::Music;

/// What the message says, in the organization's language.
pub fn message_text(country: &str, name: &str, number: &str) -> (&'static str, String) {
    // Digits one by one, as a number to dial is read out.
    let digits: String = number.chars().filter(char::is_ascii_digit).map(|c| format!("{c} ")).collect();
    let digits = digits.trim_end();
    match country {
        "PL" => (
            "pl",
            format!(
                "Dzwoniła do Państwa firma {name}. Przepraszamy, że nie mogliśmy teraz porozmawiać. \
                 Prosimy o kontakt pod numerem {digits}."
            ),
        ),
        "IL" => {
            ("he", format!("שיחה זו היא מ{name}. אנו מצטערים שלא יכולנו לשוחח כעת. כדי לחזור אלינו, חייגו {digits}."))
        }
        _ => (
            "en",
            format!(
                "This was a call from {name}. We are sorry we could not talk to you now. To call us back, dial {digits}."
            ),
        ),
    }
}

impl Crm {
    /// The information message of `org`, made when its name or number changed.
    pub async fn info_message(&self, org: OrgId) -> Result<Music, CrmError> {
        let o = self.org(org).await?;
        let number = self
            .routing()
            .await?
            .numbers_by_org
            .get(&org.0)
            .and_then(|n| n.first())
            .map(|n| n.number.clone())
            .unwrap_or_default();
        let (lang, text) = message_text(&o.default_country, &o.name, &number);
        let key = crate::identity::password::sha256_hex(&format!("{lang}\n{text}"));
        let path = self.files().join("dialer").join(format!("message-{}-{}.wav", org.0, &key[..16]));
        if !path.exists()
            && let Err(e) = speak(lang, &text, &path).await
        {
            tracing::warn!(org = org.0, "the dialer's information message could not be made ({e}): a tone stands in");
            return Ok(tone());
        }
        Ok(Music::from_wav(&path).unwrap_or_else(|e| {
            tracing::warn!(org = org.0, "the dialer's information message cannot be read ({e}): a tone stands in");
            tone()
        }))
    }
}

/// Speaks `text` into `out` (8 kHz mono 16-bit WAV).
async fn speak(lang: &str, text: &str, out: &Path) -> Result<(), String> {
    let dir = out.parent().ok_or("no folder")?;
    tokio::fs::create_dir_all(dir).await.map_err(|e| e.to_string())?;
    let raw: PathBuf = out.with_extension("raw.wav");
    let run = |cmd: &str, args: Vec<&str>| {
        let mut c = tokio::process::Command::new(cmd);
        c.args(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
        c
    };
    let raw_s = raw.to_string_lossy().to_string();
    let out_s = out.to_string_lossy().to_string();
    let o = run("espeak-ng", vec!["-v", lang, "-s", "150", "-w", &raw_s, "--", text])
        .output()
        .await
        .map_err(|e| format!("espeak-ng: {e}"))?;
    if !o.status.success() {
        return Err(format!("espeak-ng: {}", String::from_utf8_lossy(&o.stderr)));
    }
    let o = run("sox", vec![&raw_s, "-r", "8000", "-c", "1", "-b", "16", &out_s])
        .output()
        .await
        .map_err(|e| format!("sox: {e}"))?;
    let _ = tokio::fs::remove_file(&raw).await;
    if !o.status.success() {
        let _ = tokio::fs::remove_file(out).await;
        return Err(format!("sox: {}", String::from_utf8_lossy(&o.stderr)));
    }
    Ok(())
}

/// A second of 440 Hz: the stand-in when no message can be spoken.
fn tone() -> Music {
    let samples = (0..8000).map(|i| ((i as f64 * 440.0 * std::f64::consts::TAU / 8000.0).sin() * 8000.0) as i16);
    Music::from_samples(samples.collect())
}
