//! Spec section 12 on the machine: schedule, acceptance, ordering, bounds, STOP keeps the
//! best, special chunks never win. Outcomes are scripted (a function of the trial), so no
//! real time enters.

use super::*;
use blosc2_core::codec::CodecId;

fn config(tradeoff: f64) -> BtuneConfig {
    BtuneConfig { tradeoff, tune_threads: true, ..BtuneConfig::default() }
}

/// The reference's 6-combination sweep: LZ4 x 3 filters x 2 split modes, clevels 1-9.
fn six() -> SearchSpace {
    SearchSpace {
        codecs: vec![CodecId::LZ4],
        filters: vec![FilterKind::None, FilterKind::Shuffle, FilterKind::Bitshuffle],
        clevels: (1..=9).collect(),
        splits: vec![SplitMode::Always, SplitMode::Never],
    }
}

fn flat(_: &Trial) -> Measure {
    Measure { nbytes: 1 << 20, cbytes: 1 << 19, ctime: 1e-3, dtime: 1e-3, special: false }
}

type Step = (State, Readapt, char, Trial);

/// Runs `n` steps (or until STOP when `until_stop`), each step one trial.
fn run(s: &mut Search, world: impl Fn(&Trial) -> Measure, n: usize, until_stop: bool) -> Vec<Step> {
    let mut out = Vec::new();
    for _ in 0..n {
        if until_stop && s.state() == State::Stop {
            break;
        }
        let (state, readapt) = (s.state(), s.readapt());
        let t = s.next_trial();
        let w = s.update(&world(&t));
        out.push((state, readapt, w, t));
    }
    out
}

#[test]
fn the_default_schedule_stops_after_210_steps() {
    let mut s = Search::new(&config(0.5), &six(), 8, 4);
    let steps = run(&mut s, flat, 10_000, true);
    assert_eq!(steps.len(), 210);
    assert_eq!(s.state(), State::Stop);
    let hards = steps.iter().filter(|x| x.0 == State::CodecFilter).count();
    assert_eq!(hards, 11 * 6);
    assert_eq!(steps.iter().filter(|x| x.1 == Readapt::Soft).count(), 10 * 5 * 2);
    // One cycle: a hard readapt (6 sweep steps, 2 threads, 2 clevel), then 5 softs of 2.
    let cycle: Vec<(State, Readapt)> = steps[..20].iter().map(|x| (x.0, x.1)).collect();
    let mut want = vec![(State::CodecFilter, Readapt::Hard); 6];
    want.extend([(State::Threads, Readapt::Hard); 2]);
    want.extend([(State::Clevel, Readapt::Hard); 2]);
    want.extend([(State::Clevel, Readapt::Soft); 10]);
    assert_eq!(cycle, want);
    // STOP keeps the best.
    let best = s.best().trial;
    for _ in 0..5 {
        assert_eq!(s.next_trial(), best);
        assert_eq!(s.update(&flat(&best)), '-');
    }
}

#[test]
fn repeat_modes_and_waits() {
    let mut cfg = config(0.5);
    cfg.behaviour.repeat_mode = RepeatMode::RepeatSoft;
    let mut s = Search::new(&cfg, &six(), 8, 4);
    let steps = run(&mut s, flat, 600, false);
    assert!(steps[210..].iter().all(|x| x.0 == State::Clevel && x.1 == Readapt::Soft));
    assert!(s.repeating());

    cfg.behaviour.repeat_mode = RepeatMode::RepeatAll;
    let mut s = Search::new(&cfg, &six(), 8, 4);
    let steps = run(&mut s, flat, 600, false);
    assert!(steps[210..].iter().any(|x| x.1 == Readapt::Hard));
    assert!(steps[210..].iter().any(|x| x.1 == Readapt::Soft));

    let mut cfg = config(0.5);
    cfg.behaviour.nwaits_before_readapt = 2;
    let mut s = Search::new(&cfg, &six(), 8, 4);
    let steps = run(&mut s, flat, 10_000, true);
    assert_eq!(steps.len(), 11 * 10 + 10 * 5 * (2 + 2));
    assert_eq!(steps.iter().filter(|x| x.0 == State::Waiting).count(), 100);
    assert!(steps.iter().filter(|x| x.0 == State::Waiting).all(|x| x.1 == Readapt::Wait));
}

#[test]
fn the_sweep_goes_codec_then_filter_then_split() {
    let space = SearchSpace {
        codecs: vec![CodecId::LZ4, CodecId::ZSTD],
        filters: vec![FilterKind::None, FilterKind::ShuffleBytedelta],
        clevels: vec![1, 5, 9],
        splits: vec![SplitMode::Always, SplitMode::Never],
    };
    let cfg = BtuneConfig { tune_threads: false, ..config(0.5) };
    let mut s = Search::new(&cfg, &space, 8, 4);
    let steps = run(&mut s, flat, 8, false);
    let got: Vec<(CodecId, FilterKind, SplitMode)> =
        steps.iter().map(|x| (x.3.setting.codec, x.3.setting.filter, x.3.setting.split)).collect();
    let (n, b, a, v) = (FilterKind::None, FilterKind::ShuffleBytedelta, SplitMode::Always, SplitMode::Never);
    let (l, z) = (CodecId::LZ4, CodecId::ZSTD);
    assert_eq!(got, [(l, n, a), (l, n, v), (l, b, a), (l, b, v), (z, n, a), (z, n, v), (z, b, a), (z, b, v)]);
    // Threads not tuned: straight to CLEVEL, which starts at the middle level.
    assert_eq!(s.state(), State::Clevel);
    assert!(steps.iter().all(|x| x.3.setting.clevel == 5));
}

#[test]
fn thread_counts_never_reach_zero() {
    // Fewer threads are faster: the machine walks down and must stop at 1.
    let world = |t: &Trial| Measure { ctime: t.cthreads as f64 * 1e-3, ..flat(t) };
    for n in [1, 2, 3, 4] {
        let mut s = Search::new(&config(0.5), &six(), 8, n);
        let steps = run(&mut s, world, 2000, false);
        assert!(steps.iter().all(|x| x.3.cthreads >= 1 && x.3.dthreads >= 1), "{n}");
        assert_eq!(s.best().trial.cthreads, 1, "{n}");
    }
}

#[test]
fn stop_keeps_the_best_and_specials_never_win() {
    // Bitshuffle makes a "special" chunk of 20 bytes (it would win every ratio contest);
    // clevel 7 with shuffle is the best real setting.
    let world = |t: &Trial| {
        if t.setting.filter == FilterKind::Bitshuffle {
            return Measure { cbytes: 20, special: true, ..flat(t) };
        }
        let shuffle = if t.setting.filter == FilterKind::Shuffle { 1000 } else { 0 };
        Measure { cbytes: if t.setting.clevel == 7 { 1 << 17 } else { 1 << 19 } - shuffle, ..flat(t) }
    };
    let mut s = Search::new(&config(0.9), &six(), 8, 2);
    let steps = run(&mut s, world, 10_000, true);
    assert_eq!(s.state(), State::Stop);
    assert!(steps.iter().filter(|x| x.3.setting.filter == FilterKind::Bitshuffle).all(|x| x.2 == 'S'));
    let best = s.best().trial;
    assert_eq!((best.setting.filter, best.setting.clevel), (FilterKind::Shuffle, 7));
    assert_eq!(s.next_trial(), best);
}

fn scored(score: f64, cratio: f64) -> Scored {
    let t = Trial {
        setting: Setting { codec: CodecId::LZ4, filter: FilterKind::None, clevel: 1, split: SplitMode::Auto },
        cthreads: 1,
        dthreads: 1,
    };
    Scored { trial: t, score, cratio, ctime: score, dtime: score, nbytes: 1 << 30 }
}

#[test]
fn acceptance_rules_follow_their_tables() {
    let best = scored(1.0, 2.0);
    let m = PerfMode::Comp;
    // (trial score, trial cratio, tradeoff, V1, Strict)
    let cases = [
        (0.9, 2.0, 0.1, true, true),   // as small, faster
        (0.45, 1.1, 0.1, true, false), // half the ratio is fine when more than twice as fast
        (0.7, 1.4, 0.1, true, false),  // cr 0.7, sc 1.43
        (1.3, 4.2, 0.1, true, false),  // cr 2.1, sc 0.77
        (2.5, 4.2, 0.5, false, false), // the middle band wants more speed
        (1.2, 2.3, 0.5, true, false),  // cr 1.15, sc 0.83
        (1.9, 2.7, 0.5, true, false),  // cr 1.35, sc 0.53
        (0.9, 1.9, 0.5, false, false), // smaller ratio
        (1.1, 3.0, 0.9, false, false), // the ratio band needs both
        (0.99, 2.0, 0.9, true, true),  // as small, faster
        (1.0, 2.0, 0.1, false, false), // equal
    ];
    for (s, c, t, v1, strict) in cases {
        let trial = scored(s, c);
        assert_eq!(accepts(AcceptRule::V1, t, m, &best, &trial), v1, "V1 {s} {c} {t}");
        assert_eq!(accepts(AcceptRule::Strict, t, m, &best, &trial), strict, "Strict {s} {c} {t}");
    }
    // The objective: at t = 0.9 a 3 % better ratio 17x slower loses; at t = 0.99 it wins.
    let slow = scored(17.0, 2.06);
    assert!(!accepts(AcceptRule::Objective, 0.9, m, &best, &slow));
    assert!(accepts(AcceptRule::Objective, 0.999, m, &best, &slow));
    assert!(accepts(AcceptRule::Objective, 0.5, m, &best, &scored(0.5, 1.5)));
}
