//! What a queue says to its waiting callers, put together from recorded words: a folder per
//! language (`{dir}/en`, `{dir}/pl`, `{dir}/he`) of 8 kHz mono 16-bit WAVs — `place.wav` ("your
//! place in the queue:"), `wait.wav` ("expected waiting time in minutes:"), `1.wav` … `20.wav`,
//! `over.wav` ("more than twenty"), `callback.wav` ("to be called back without losing your
//! place, press 1") and `callback-confirm.wav` ("we will call you back"). `scripts/prompts.sh` makes them with espeak-ng at
//! install; any of them may be replaced by a recording of one's own. Missing words are left out
//! (no folder: the queue says nothing, the music plays on).

use crate::queue::Announcement;
use media::Music;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// The recorded words, read once each.
#[derive(Debug, Default)]
pub struct Prompts {
    dir: Option<PathBuf>,
    words: Mutex<HashMap<(String, String), Option<Music>>>,
}

/// The numbers spoken as such; beyond, "more than twenty".
pub const SPOKEN_UP_TO: u32 = 20;

impl Prompts {
    pub fn new(dir: Option<PathBuf>) -> Prompts {
        let dir = dir.filter(|d| {
            let there = d.is_dir();
            if !there {
                tracing::info!(
                    "queue announcements: no recorded words in {} (scripts/prompts.sh makes them)",
                    d.display()
                );
            }
            there
        });
        Prompts { dir, words: Mutex::new(HashMap::new()) }
    }

    fn word(&self, lang: &str, name: &str) -> Option<Music> {
        let dir = self.dir.as_ref()?;
        let mut words = self.words.lock().expect("prompts lock");
        words
            .entry((lang.to_string(), name.to_string()))
            .or_insert_with(|| {
                let path = dir.join(lang).join(format!("{name}.wav"));
                Music::from_wav(&path).map_err(|e| tracing::warn!("queue prompt {}: {e}", path.display())).ok()
            })
            .clone()
    }

    fn number(&self, lang: &str, n: u32) -> Option<Music> {
        if n <= SPOKEN_UP_TO { self.word(lang, &n.to_string()) } else { self.word(lang, "over") }
    }

    /// The announcement in `lang` (English words where that language has none), or None
    /// when no word of it is recorded.
    pub fn announcement(&self, lang: &str, a: &Announcement) -> Option<Music> {
        let lang = if self.word(lang, "place").is_some() { lang } else { "en" };
        let pause = Music::from_samples(vec![0; 2400]); // 300 ms
        let mut parts = vec![];
        if let Some(place) = a.position {
            parts.extend(self.word(lang, "place"));
            parts.extend(self.number(lang, place.max(1)));
            if let Some(m) = a.wait_minutes {
                parts.push(pause.clone());
                parts.extend(self.word(lang, "wait"));
                parts.extend(self.number(lang, m.max(1)));
            }
        }
        if a.callback
            && let Some(offer) = self.word(lang, "callback")
        {
            if !parts.is_empty() {
                parts.push(pause.clone());
            }
            parts.push(offer);
        }
        (!parts.is_empty()).then(|| Music::concat(&[vec![pause.clone()], parts, vec![pause]].concat()))
    }

    /// "We will call you back", in `lang` (English where that language has none).
    pub fn callback_confirmed(&self, lang: &str) -> Option<Music> {
        self.word(lang, "callback-confirm").or_else(|| self.word("en", "callback-confirm"))
    }
}
