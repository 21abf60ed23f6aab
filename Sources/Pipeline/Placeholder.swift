// The Pipeline module.
