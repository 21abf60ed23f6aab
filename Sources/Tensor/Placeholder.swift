// The Tensor module.
