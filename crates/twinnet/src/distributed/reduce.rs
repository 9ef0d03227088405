//! Summing gradients over ranks: every trainable parameter's gradient flattened into one
//! buffer (in the module's visiting order, the same on every rank), one all-reduce, and the
//! tensors rebuilt from it.

use super::Collective;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};

/// Sums `grads` over the ranks for `summed`'s parameters and averages them for `averaged`'s
/// (parameters every rank already has the whole gradient of; see the module docs). A
/// parameter without a gradient on this rank counts as zeros, so every rank's buffer lines up.
pub fn reduce_gradients<A: Module, B: Module>(
    world: &dyn Collective,
    grads: &mut GradientsParams,
    summed: &A,
    averaged: Option<&B>,
) {
    if world.size() == 1 {
        return;
    }
    let mut flat = Flatten {
        grads,
        values: Vec::new(),
        slots: Vec::new(),
    };
    summed.visit(&mut flat);
    let split = flat.slots.len();
    if let Some(m) = averaged {
        m.visit(&mut flat);
    }
    let Flatten {
        grads,
        mut values,
        slots,
    } = flat;
    world.sum(&mut values);
    let Some(device) = slots.iter().find_map(|s| s.device.clone()) else {
        return; // no gradient anywhere on this rank: nothing to register
    };
    let mut restore = Restore {
        grads,
        values: &values,
        slots: &slots,
        next: 0,
        offset: 0,
        scale: 1.0,
        device,
    };
    summed.visit(&mut restore);
    debug_assert_eq!(restore.next, split);
    restore.scale = 1.0 / world.size() as f32;
    if let Some(m) = averaged {
        m.visit(&mut restore);
    }
}

struct Slot {
    len: usize,
    shape: Vec<usize>,
    /// The device of this rank's gradient (none when it had none).
    device: Option<Device>,
}

struct Flatten<'a> {
    grads: &'a mut GradientsParams,
    values: Vec<f32>,
    slots: Vec<Slot>,
}

impl ModuleVisitor for Flatten<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !param.is_require_grad() {
            return;
        }
        let shape = param.lazy_shape().dims::<D>().to_vec();
        let len: usize = shape.iter().product();
        let device = match self.grads.remove::<D>(param.id) {
            Some(g) => {
                let device = g.device();
                let v: Vec<f32> = g
                    .into_data()
                    .try_to_vec::<f32>()
                    .expect("gradients hold f32 values");
                debug_assert_eq!(v.len(), len);
                self.values.extend_from_slice(&v);
                Some(device)
            }
            None => {
                self.values.resize(self.values.len() + len, 0.0);
                None
            }
        };
        self.slots.push(Slot { len, shape, device });
    }
}

struct Restore<'a> {
    grads: &'a mut GradientsParams,
    values: &'a [f32],
    slots: &'a [Slot],
    next: usize,
    offset: usize,
    scale: f32,
    device: Device,
}

impl ModuleVisitor for Restore<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !param.is_require_grad() {
            return;
        }
        let slot = &self.slots[self.next];
        let part = &self.values[self.offset..self.offset + slot.len];
        self.next += 1;
        self.offset += slot.len;
        let v: Vec<f32> = part.iter().map(|x| x * self.scale).collect();
        let device = slot.device.as_ref().unwrap_or(&self.device);
        let g = Tensor::<D>::from_data(TensorData::new(v, slot.shape.clone()), device);
        self.grads.register::<D>(param.id, g);
    }
}
