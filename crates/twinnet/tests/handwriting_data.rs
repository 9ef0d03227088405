//! The real handwriting sets in `../shared/data`: every SVC2004 image survives the handwriting
//! preprocessing (none is blank or solid after Otsu's threshold), and the layout reads as 30
//! writers with 20 genuine signatures and 20 skilled forgeries each.

use twinnet::data::{read_signatures, Handwriting, ImageShape};

mod common;

#[test]
fn svc2004_reads_as_thirty_writers_of_twenty_and_twenty() {
    let Some(dir) = common::shared_data("svc2004") else {
        return;
    };
    let shape = ImageShape {
        channels: 1,
        height: 24,
        width: 48,
    };
    let set = read_signatures(&dir, Some(shape), Some(&Handwriting::default())).unwrap();
    assert_eq!(set.images.class_names.len(), 30);
    assert_eq!(set.images.class_names[..3], ["user1", "user2", "user3"]);
    for w in 0..30 {
        let (genuine, forged) = set.writer_items(w);
        assert_eq!((genuine.len(), forged.len()), (20, 20), "writer {w}");
    }
    // Ink bright on black, cropped and fitted: every canvas has ink and is mostly paper.
    for i in 0..set.images.len() {
        let px = set.images.item(i);
        let ink = px.iter().filter(|&&v| v > 0.2).count() as f64 / px.len() as f64;
        assert!(ink > 0.005 && ink < 0.6, "item {i}: ink fraction {ink}");
    }
}
