import Tensor

extension NetworkArchitecture {
    /// The structure a checkpoint's configuration describes.
    public init(configuration: ModelConfiguration) {
        self.init(
            depth: configuration.depth, widths: configuration.widths, experts: configuration.experts,
            classes: configuration.numClasses, inputChannels: configuration.inChannels,
            inputHeight: configuration.inputSize[0], inputWidth: configuration.inputSize[1],
            batchNormEpsilon: Float(configuration.bnEps), cosineScale: Float(configuration.cosineScale),
            attentionReduction: configuration.rcaReduction, attentionMinimumHidden: configuration.rcaMinHidden)
    }
}

extension ReCAMENetwork {
    /// A network holding exactly the weights and statistics of a validated checkpoint.
    public convenience init(checkpoint: Checkpoint) throws {
        try checkpoint.validate()
        try self.init(architecture: NetworkArchitecture(configuration: checkpoint.configuration), seed: 0)
        var state = [String: Tensor]()
        for (name, entry) in checkpoint.tensors {
            state[name] = try Tensor(shape: entry.shape, scalars: entry.values)
        }
        try loadStateDictionary(state)
    }

    /// The current state as a checkpoint of `configuration` (which must describe this network).
    public func checkpoint(configuration: ModelConfiguration, extraMetadata: [String: String] = [:]) throws
        -> Checkpoint
    {
        guard NetworkArchitecture(configuration: configuration) == architecture else {
            throw TensorError.invalidArgument("the configuration does not describe this network's architecture")
        }
        var tensors = [String: SafetensorsFile.Entry]()
        for (name, tensor) in stateDictionary() {
            tensors[name] = SafetensorsFile.Entry(shape: tensor.shape, values: tensor.scalars)
        }
        let checkpoint = Checkpoint(configuration: configuration, tensors: tensors, extraMetadata: extraMetadata)
        try checkpoint.validate()
        return checkpoint
    }
}
