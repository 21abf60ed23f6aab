// The ReCAME module.
