//! Replays the fuzzer's corpus (fuzz/corpus/sip_message) through the same parsing path on the
//! stable toolchain: every input the fuzzer kept, and every crash it once found, must parse
//! (or be refused) without a panic.

#[test]
fn the_fuzz_corpus_parses_without_panics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/sip_message");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("the corpus is in the repository") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let r = std::panic::catch_unwind(|| telephony::fuzzing::sip_message(&data));
        assert!(r.is_ok(), "panic on corpus input {}", path.display());
        n += 1;
    }
    assert!(n >= 5, "the corpus has its seeds ({n})");
}
