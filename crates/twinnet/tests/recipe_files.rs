//! The recipes README documents (`recipes/*.toml`) parse, name only valid keys, and survive a
//! round trip through TOML; settings no run can use are refused before training.

use std::path::Path;
use twinnet::train::{LrSchedule, OptimizerKind, SamplerKind};
use twinnet::{LossKind, Recipe};

fn recipes() -> Vec<(String, Recipe)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recipes");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let r = Recipe::from_file(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), r)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_recipe_file_parses_and_round_trips() {
    let all = recipes();
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    for wanted in [
        "demo.toml",
        "mnist.toml",
        "oneshot.toml",
        "signatures.toml",
        "omniglot.toml",
        "siamfc.toml",
    ] {
        assert!(
            names.contains(&wanted),
            "recipes/{wanted} is missing: {names:?}"
        );
    }
    for (name, r) in &all {
        assert_eq!(&Recipe::from_toml(&r.to_toml()).unwrap(), r, "{name}");
        r.train_config()
            .check()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let get = |n: &str| all.iter().find(|(x, _)| x == n).unwrap().1.clone();
    let mnist = get("mnist.toml");
    assert_eq!(
        mnist,
        Recipe {
            data: mnist.data.clone(),
            out: mnist.out.clone(),
            ..Recipe::default()
        },
        "recipes/mnist.toml is the default recipe, written out"
    );
    let oneshot = get("oneshot.toml");
    assert_eq!((oneshot.epochs, oneshot.embedding_dim), (6, 128));
    assert!(oneshot.augment.is_some());
    // The handwriting recipes name their data layout's settings, so the command needs only
    // `--data` and `--out`.
    let sig = get("signatures.toml");
    let val = sig.train_config().validation_classes;
    assert_eq!(val, ["user21", "user22", "user23", "user24", "user25"]);
    assert!(sig.handwriting_settings().unwrap().is_some());
    assert_eq!(sig.classes.as_deref().unwrap().split(',').count(), 20);
    let omni = get("omniglot.toml");
    assert_eq!(omni.class_depth, 2);
    assert!(omni.classes.as_deref().unwrap().contains("Tagalog/*"));
    // The tracking recipe names its tower, crops and tracker settings (SiamFC's published ones).
    let sfc = get("siamfc.toml");
    let track = sfc
        .track
        .clone()
        .expect("recipes/siamfc.toml has a [track] table");
    assert_eq!(sfc.tower, "siamfc");
    assert_eq!(
        (track.tower.exemplar_size, track.tower.search_size),
        (127, 255)
    );
    assert_eq!(
        (
            track.tower.total_stride().unwrap(),
            track.tower.score_size().unwrap()
        ),
        (8, 17)
    );
    assert_eq!(
        (track.tracker.scale_num, track.tracker.scale_step),
        (3, 1.0375)
    );
    track.check().unwrap();
    let semi = get("mnist-triplet-semi-hard.toml");
    assert_eq!(
        (semi.loss, semi.sampler),
        (LossKind::Triplet, SamplerKind::Pk)
    );
}

#[test]
fn recipe_keys_and_values_are_checked() {
    let r = Recipe::from_toml("optimizer = \"adamw\"\nlr-schedule = \"cosine\"\nwarmup = 0.1\ngrad-clip = 1.0\nkeep-best = true\npatience = 2").unwrap();
    let c = r.train_config();
    assert_eq!(
        (c.optimizer, c.lr_schedule),
        (OptimizerKind::AdamW, LrSchedule::Cosine)
    );
    assert_eq!(
        (c.warmup_fraction, c.grad_clip, c.keep_best, c.patience),
        (0.1, Some(1.0), true, Some(2))
    );
    let err = Recipe::from_toml("loss = \"fancy\"")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("fancy") && err.contains("contrastive"),
        "{err}"
    );
    let err = Recipe::from_toml("epochs = \"many\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("epochs"), "{err}");
    for (toml, key) in [
        ("lr = nan", "lr"),
        ("weight-decay = -0.1", "weight-decay"),
        ("margin = nan", "margin"),
        ("epochs = 0", "epochs"),
        ("warmup = 1.5", "warmup"),
        ("patience = 0", "patience"),
    ] {
        let err = Recipe::from_toml(toml)
            .unwrap()
            .train_config()
            .check()
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("`{key}`")), "{toml}: {err}");
    }
    let bad_size = Recipe::from_toml("image-size = \"0x5\"").unwrap();
    assert!(bad_size
        .requested_shape()
        .unwrap_err()
        .to_string()
        .contains("image-size"));
    for (toml, key) in [
        (
            "handwriting = true\nink-threshold = \"dark\"",
            "ink-threshold",
        ),
        (
            "handwriting = true\nink-threshold = \"1.5\"",
            "ink-threshold",
        ),
        ("handwriting = true\nink-margin = 0.7", "ink-margin"),
    ] {
        let recipe = Recipe::from_toml(toml).unwrap();
        let err = recipe.handwriting_settings().unwrap_err().to_string();
        assert!(err.contains(&format!("`{key}`")), "{toml}: {err}");
    }
    let pools = Recipe::from_toml("pools = \"2,3\"").unwrap();
    let square = twinnet::data::ImageShape {
        channels: 1,
        height: 28,
        width: 28,
    };
    assert!(pools
        .tower_config(square)
        .unwrap_err()
        .to_string()
        .contains("`pools`"));
    let bad_tower = Recipe::from_toml("tower = \"rnn\"").unwrap();
    let shape = twinnet::data::ImageShape {
        channels: 1,
        height: 4,
        width: 4,
    };
    assert!(bad_tower
        .tower_config(shape)
        .unwrap_err()
        .to_string()
        .contains("cnn, mlp"));
}

#[test]
fn schedules_warm_up_then_follow_their_shape() {
    let s = |schedule| twinnet::train::OptimSettings {
        kind: OptimizerKind::Adam,
        learning_rate: 2.0,
        weight_decay: 0.0,
        schedule,
        warmup_fraction: 0.25,
        grad_clip: None,
    };
    let rates = |schedule| {
        (0..8)
            .map(|k| s(schedule).learning_rate_at(k, 8))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rates(LrSchedule::Constant),
        [1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    );
    assert_eq!(
        rates(LrSchedule::Linear)[2..],
        [2.0, 5.0 / 3.0, 4.0 / 3.0, 1.0, 2.0 / 3.0, 1.0 / 3.0]
    );
    let cos = rates(LrSchedule::Cosine);
    assert_eq!(cos[2], 2.0);
    assert!(
        (cos[5] - 1.0).abs() < 1e-12,
        "halfway down at the middle of the decay: {cos:?}"
    );
    assert!(cos.windows(2).skip(2).all(|w| w[1] < w[0]));
}

#[test]
fn text_fine_tuning_settings_are_checked_with_the_same_rules() {
    use twinnet::train::TextTrainConfig;
    assert!(TextTrainConfig::default().check().is_ok());
    for (cfg, key) in [
        (
            TextTrainConfig {
                learning_rate: f64::NAN,
                ..Default::default()
            },
            "lr",
        ),
        (
            TextTrainConfig {
                weight_decay: -1.0,
                ..Default::default()
            },
            "weight-decay",
        ),
        (
            TextTrainConfig {
                margin: f32::NAN,
                ..Default::default()
            },
            "margin",
        ),
        (
            TextTrainConfig {
                scale: 0.0,
                ..Default::default()
            },
            "scale",
        ),
        (
            TextTrainConfig {
                warmup_fraction: 1.0,
                ..Default::default()
            },
            "warmup",
        ),
        (
            TextTrainConfig {
                patience: Some(0),
                ..Default::default()
            },
            "patience",
        ),
        (
            TextTrainConfig {
                validate_every: Some(0),
                ..Default::default()
            },
            "validate-every",
        ),
    ] {
        let err = cfg.check().unwrap_err().to_string();
        assert!(err.contains(&format!("`{key}`")), "{key}: {err}");
    }
}
