//! The one place where the compute backend is chosen.
//!
//! burn 0.22 carries the backend in the [`Device`], so every module is written against plain
//! `Tensor<D>` and only this file knows which backend a build uses: flex (pure-Rust CPU) by
//! default, CUDA, wgpu or LibTorch when their cargo feature is enabled.

use burn::module::{Module, ModuleVisitor, Param};
pub use burn::tensor::Device;
use burn::tensor::Tensor;
use std::sync::Mutex;

/// burn keeps one random generator per backend for the whole process, so two trainings in one
/// process (parallel tests, a service) would interleave their draws and lose determinism.
static SEEDED_DRAWS: Mutex<()> = Mutex::new(());

/// Builds a module whose initial weights depend on `seed` alone.
///
/// burn initialises parameters lazily, on first use, from its process-wide generator; here the
/// generator is seeded and every parameter drawn while no other thread can draw from it.
pub fn init_seeded<M: Module, E>(
    device: &Device,
    seed: u64,
    init: impl FnOnce() -> Result<M, E>,
) -> Result<M, E> {
    let _guard = SEEDED_DRAWS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(seed);
    let module = init()?;
    module.visit(&mut DrawNow);
    Ok(module)
}

/// Forces each lazily initialised parameter to draw its values now.
struct DrawNow;

impl ModuleVisitor for DrawNow {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// Name of the backend this build computes on, for manifests, logs and benchmark reports.
pub fn backend_name() -> &'static str {
    if cfg!(feature = "cuda") {
        "cuda"
    } else if cfg!(feature = "wgpu") {
        "wgpu"
    } else if cfg!(feature = "tch") {
        "tch"
    } else {
        "flex"
    }
}

/// The device used for inference (no gradient tape).
pub fn inference_device() -> Device {
    #[cfg(feature = "cuda")]
    {
        Device::cuda(0)
    }
    #[cfg(all(feature = "wgpu", not(feature = "cuda")))]
    {
        Device::wgpu(Default::default())
    }
    #[cfg(all(feature = "tch", not(any(feature = "cuda", feature = "wgpu"))))]
    {
        Device::libtorch()
    }
    #[cfg(not(any(feature = "cuda", feature = "wgpu", feature = "tch")))]
    {
        Device::flex()
    }
}

/// The device used for training: the inference device with autodiff enabled.
pub fn training_device() -> Device {
    inference_device().autodiff()
}

/// Keeps freed tensor buffers in the process instead of handing them back to the kernel.
///
/// A training step allocates and frees tens of megabytes of activations and gradients. glibc
/// serves blocks above its mmap threshold (at most 32 MiB, adapted at run time) with fresh
/// `mmap`s and unmaps them on free, so every step paid page faults, page zeroing and TLB
/// shootdowns between the two compute threads. Serving them from the heap and not trimming it
/// made a training epoch on MNIST 12–23 % faster (BENCHMARKS.md) without raising the peak:
/// the same buffers are reused step after step. Call once at start-up; a no-op off glibc.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is safe to call at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}
