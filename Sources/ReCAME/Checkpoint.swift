import Foundation
import Tensor

/// A ReCAME-Net checkpoint (ARCHITECTURE §4): one safetensors file whose metadata holds
/// `"format": "recame-1"` and the `config` JSON, and whose tensors are exactly those of
/// `CheckpointLayout` for that configuration, in float32.
public struct Checkpoint: Equatable, Sendable {
    public static let formatKey = "format"
    public static let configKey = "config"

    public var configuration: ModelConfiguration
    public var tensors: [String: SafetensorsFile.Entry]
    /// Metadata keys other than `format` and `config` (e.g. a tool's own notes), kept across load/save.
    public var extraMetadata: [String: String]

    public init(
        configuration: ModelConfiguration, tensors: [String: SafetensorsFile.Entry],
        extraMetadata: [String: String] = [:]
    ) {
        self.configuration = configuration
        self.tensors = tensors
        self.extraMetadata = extraMetadata
    }

    public var layout: CheckpointLayout { CheckpointLayout(configuration) }

    /// Reads and validates a checkpoint file; every error names the file and what is wrong in it.
    public static func load(contentsOf url: URL) throws -> Checkpoint {
        let file = try SafetensorsFile(contentsOf: url)
        do {
            return try Checkpoint(file: file)
        } catch let error as CheckpointError {
            throw CheckpointError.inFile(path: url.path, error)
        } catch let error as ModelConfigurationError {
            throw CheckpointError.inFile(path: url.path, .configuration(error))
        }
    }

    /// Interprets and validates the contents of a safetensors file.
    public init(file: SafetensorsFile) throws {
        guard let format = file.metadata[Checkpoint.formatKey] else {
            throw CheckpointError.missingMetadata(Checkpoint.formatKey)
        }
        guard format == ModelConfiguration.format else { throw CheckpointError.unsupportedFormat(format) }
        guard let config = file.metadata[Checkpoint.configKey] else {
            throw CheckpointError.missingMetadata(Checkpoint.configKey)
        }
        let configuration: ModelConfiguration
        do {
            configuration = try ModelConfiguration(jsonString: config)
        } catch let error as ModelConfigurationError {
            throw CheckpointError.configuration(error)
        }
        var extra = file.metadata
        extra[Checkpoint.formatKey] = nil
        extra[Checkpoint.configKey] = nil
        self.init(configuration: configuration, tensors: file.tensors, extraMetadata: extra)
        try validateTensors()
    }

    /// Checks the configuration and that the tensors match its layout exactly and hold finite values.
    public func validate() throws {
        do {
            try configuration.validate()
        } catch let error as ModelConfigurationError {
            throw CheckpointError.configuration(error)
        }
        try validateTensors()
    }

    private func validateTensors() throws {
        let layout = self.layout
        let missing = layout.names.filter { tensors[$0] == nil }
        let unexpected = tensors.keys.filter { layout.shape(of: $0) == nil }.sorted()
        var wrongShapes: [CheckpointError.ShapeMismatch] = []
        for spec in layout.tensors {
            if let tensor = tensors[spec.name], tensor.shape != spec.shape {
                wrongShapes.append(.init(name: spec.name, expected: spec.shape, found: tensor.shape))
            }
        }
        guard missing.isEmpty, unexpected.isEmpty, wrongShapes.isEmpty else {
            throw CheckpointError.layoutMismatch(missing: missing, unexpected: unexpected, wrongShapes: wrongShapes)
        }
        for spec in layout.tensors {
            let tensor = tensors[spec.name]!
            guard tensor.values.count == spec.elementCount else {
                throw CheckpointError.valueCountMismatch(
                    name: spec.name, expected: spec.elementCount, found: tensor.values.count)
            }
            if let index = tensor.values.firstIndex(where: { !$0.isFinite }) {
                throw CheckpointError.nonFiniteValue(name: spec.name, index: index, value: tensor.values[index])
            }
        }
        // Running variances feed 1/sqrt(var + eps): a negative one would give NaN on the first image.
        for spec in layout.tensors where spec.name.hasSuffix(".running_var") {
            if let index = tensors[spec.name]!.values.firstIndex(where: { $0 < 0 }) {
                throw CheckpointError.negativeVariance(name: spec.name, index: index)
            }
        }
    }

    /// The safetensors contents of this checkpoint, after validation.
    public func safetensorsFile() throws -> SafetensorsFile {
        try validate()
        var metadata = extraMetadata
        metadata[Checkpoint.formatKey] = ModelConfiguration.format
        metadata[Checkpoint.configKey] = configuration.jsonString
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Validates and writes the checkpoint atomically (a concurrent reader sees the old or the new file).
    public func save(to url: URL) throws {
        try safetensorsFile().write(to: url)
    }
}

/// Why a file is not a valid ReCAME checkpoint.
public indirect enum CheckpointError: Error, CustomStringConvertible, Equatable {
    public struct ShapeMismatch: Equatable, Sendable {
        public let name: String
        public let expected: [Int]
        public let found: [Int]

        public init(name: String, expected: [Int], found: [Int]) {
            self.name = name
            self.expected = expected
            self.found = found
        }
    }

    case missingMetadata(String)
    case unsupportedFormat(String)
    case configuration(ModelConfigurationError)
    case layoutMismatch(missing: [String], unexpected: [String], wrongShapes: [ShapeMismatch])
    case valueCountMismatch(name: String, expected: Int, found: Int)
    case nonFiniteValue(name: String, index: Int, value: Float)
    case negativeVariance(name: String, index: Int)
    case inFile(path: String, CheckpointError)

    public var description: String {
        switch self {
        case .missingMetadata(let key):
            return "metadata has no \"\(key)\"; not a \(ModelConfiguration.format) checkpoint"
        case .unsupportedFormat(let format):
            return "metadata \"format\" is \"\(format)\", expected \"\(ModelConfiguration.format)\""
        case .configuration(let error):
            return "\(error)"
        case .layoutMismatch(let missing, let unexpected, let wrongShapes):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing tensors: \(Self.list(missing))") }
            if !unexpected.isEmpty { parts.append("unexpected tensors: \(Self.list(unexpected))") }
            if !wrongShapes.isEmpty {
                let shapes = wrongShapes.map { "\($0.name) has shape \($0.found), expected \($0.expected)" }
                parts.append("wrong shapes: \(Self.list(shapes))")
            }
            return "tensors do not match the configuration's layout; " + parts.joined(separator: "; ")
        case .valueCountMismatch(let name, let expected, let found):
            return "tensor '\(name)' holds \(found) values, expected \(expected)"
        case .nonFiniteValue(let name, let index, let value):
            return "tensor '\(name)' holds \(value) at flat index \(index)"
        case .negativeVariance(let name, let index):
            return "tensor '\(name)' holds a negative variance at flat index \(index)"
        case .inFile(let path, let error):
            return "\(path): \(error)"
        }
    }

    /// At most 8 items, then how many more: a checkpoint of the wrong depth misses hundreds of names.
    private static func list(_ items: [String]) -> String {
        let shown = items.prefix(8).joined(separator: ", ")
        return items.count > 8 ? "\(shown) and \(items.count - 8) more" : shown
    }
}
