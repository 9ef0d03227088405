//! The one place where the compute backend is chosen.
//!
//! burn 0.22 carries the backend in the [`Device`], so every module is written against plain
//! `Tensor<D>` and only this file knows which backend a build uses: flex (pure-Rust CPU) by
//! default, CUDA, wgpu or LibTorch when their cargo feature is enabled.

pub use burn::tensor::Device;

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
