import Tensor

/// One named tensor of a network's state (a parameter or a BatchNorm running statistic), with a
/// way to read and replace it; the names are the checkpoint contract's (§4).
struct StateEntry {
    let name: String
    /// The trainable parameter behind the entry, nil for buffers (running statistics).
    let parameter: Parameter?
    let read: () -> Tensor
    let write: (Tensor) -> Void

    static func parameter(_ name: String, _ parameter: Parameter) -> StateEntry {
        StateEntry(
            name: name, parameter: parameter, read: { parameter.value },
            write: { parameter.value = $0 })
    }

    static func convolution(_ prefix: String, _ conv: Conv2d) -> [StateEntry] {
        var entries = [StateEntry.parameter(prefix + ".weight", conv.weight)]
        if let bias = conv.bias { entries.append(.parameter(prefix + ".bias", bias)) }
        return entries
    }

    static func linear(_ prefix: String, _ linear: Linear) -> [StateEntry] {
        var entries = [StateEntry.parameter(prefix + ".weight", linear.weight)]
        if let bias = linear.bias { entries.append(.parameter(prefix + ".bias", bias)) }
        return entries
    }

    static func batchNorm(_ prefix: String, _ bn: BatchNorm2d) -> [StateEntry] {
        [
            .parameter(prefix + ".weight", bn.weight),
            .parameter(prefix + ".bias", bn.bias),
            StateEntry(
                name: prefix + ".running_mean", parameter: nil, read: { bn.runningMean },
                write: { bn.runningMean = $0 }),
            StateEntry(
                name: prefix + ".running_var", parameter: nil, read: { bn.runningVariance },
                write: { bn.runningVariance = $0 }),
        ]
    }
}
