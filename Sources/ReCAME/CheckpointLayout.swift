/// The tensors a checkpoint of a given configuration holds: names and shapes exactly as in ARCHITECTURE
/// §4, in the order PyTorch's `state_dict()` lists them for bench/recame_torch.py's module tree.
///
/// BatchNorm's `num_batches_tracked` is not part of the contract: it only matters for momentum=None
/// (cumulative averages), which we never use. The PyTorch reference drops it when exporting, and
/// `load_state_dict` still loads our files strictly because BatchNorm's own loader supplies the missing
/// counter for state dicts without version metadata (which a safetensors file never has).
public struct CheckpointLayout: Equatable, Sendable {
    /// One expected tensor.
    public struct TensorSpec: Equatable, Sendable {
        public let name: String
        public let shape: [Int]

        public var elementCount: Int { shape.reduce(1, *) }
    }

    public let tensors: [TensorSpec]
    private let shapesByName: [String: [Int]]

    /// The layout of `configuration`, which must be valid (see `ModelConfiguration.validate()`).
    public init(_ configuration: ModelConfiguration) {
        var specs: [TensorSpec] = []
        func add(_ name: String, _ shape: [Int]) { specs.append(TensorSpec(name: name, shape: shape)) }
        func addBatchNorm(_ prefix: String, _ channels: Int) {
            for parameter in CheckpointLayout.batchNormParameters { add("\(prefix).\(parameter)", [channels]) }
        }

        let widths = configuration.widths
        for expert in 0..<configuration.experts {
            let root = "experts.\(expert)"
            add("\(root).conv1.weight", [widths[0], configuration.inChannels, 3, 3])
            addBatchNorm("\(root).bn1", widths[0])
            var inputChannels = widths[0]
            for stage in 1...3 {
                let channels = widths[stage - 1]
                for block in 0..<configuration.blocksPerStage {
                    let prefix = "\(root).layer\(stage).\(block)"
                    let stride = (stage > 1 && block == 0) ? 2 : 1
                    add("\(prefix).conv1.weight", [channels, inputChannels, 3, 3])
                    addBatchNorm("\(prefix).bn1", channels)
                    add("\(prefix).conv2.weight", [channels, channels, 3, 3])
                    addBatchNorm("\(prefix).bn2", channels)
                    let hidden = CheckpointLayout.attentionHiddenSize(channels: channels, configuration)
                    add("\(prefix).rca.fc1.weight", [hidden, channels])
                    add("\(prefix).rca.fc1.bias", [hidden])
                    add("\(prefix).rca.fc2.weight", [channels, hidden])
                    add("\(prefix).rca.fc2.bias", [channels])
                    if CheckpointLayout.hasProjectionShortcut(
                        inputChannels: inputChannels, outputChannels: channels, stride: stride)
                    {
                        add("\(prefix).shortcut.conv.weight", [channels, inputChannels, 1, 1])
                        addBatchNorm("\(prefix).shortcut.bn", channels)
                    }
                    inputChannels = channels
                }
            }
            add("\(root).classifier.weight", [configuration.numClasses, configuration.featureSize])
            add("\(root).classifier.bias", [configuration.numClasses])
        }
        tensors = specs
        shapesByName = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0.shape) })
    }

    /// BatchNorm tensors in PyTorch's order.
    public static let batchNormParameters = ["weight", "bias", "running_mean", "running_var"]

    /// Width of the RCA MLP's hidden layer: max(C / rca_reduction, rca_min_hidden), integer division.
    public static func attentionHiddenSize(channels: Int, _ configuration: ModelConfiguration) -> Int {
        max(channels / configuration.rcaReduction, configuration.rcaMinHidden)
    }

    /// A block projects its input (1×1 conv, stride s, + BN) when the shape changes, else adds it as is.
    public static func hasProjectionShortcut(inputChannels: Int, outputChannels: Int, stride: Int) -> Bool {
        stride != 1 || inputChannels != outputChannels
    }

    /// The expected shape of `name`, or nil when the name is not part of the layout.
    public func shape(of name: String) -> [Int]? { shapesByName[name] }

    public var names: [String] { tensors.map(\.name) }

    /// Total number of parameters and buffers stored.
    public var elementCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }

    public static func == (lhs: CheckpointLayout, rhs: CheckpointLayout) -> Bool { lhs.tensors == rhs.tensors }
}
