import Foundation
import Tensor

/// The `config` JSON of a checkpoint. Decoding is strict: every required field present with the right
/// type, no unknown field (a typo must not silently fall back to a default), then `validate()`.
extension ModelConfiguration: Codable {
    static let requiredFields = [
        "depth", "widths", "experts", "num_classes", "class_names", "in_channels", "input_size", "mean", "std",
        "bn_eps", "cosine_scale", "rca_reduction", "rca_min_hidden",
    ]
    /// `kind` is optional for files written by tools that follow §4 alone, which only knows ensembles.
    static let optionalFields = ["kind", "temperature", "train_counts", "training"]

    /// Decodes and validates a configuration from its JSON object.
    public init(json: JSONValue) throws {
        guard case .object(let fields) = json else {
            throw ModelConfigurationError(
                field: "config", problem: "must be a JSON object, got \(json.kindDescription)")
        }
        let known = Set(Self.requiredFields + Self.optionalFields)
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw ModelConfigurationError(field: unknown, problem: "is not a field of \(ModelConfiguration.format)")
        }
        let reader = FieldReader(fields: fields)
        let kindName = try reader.optional("kind", reader.string) ?? Kind.ensemble.rawValue
        guard let kind = Kind(rawValue: kindName) else {
            throw ModelConfigurationError(
                field: "kind", problem: "must be one of \(Kind.allCases.map(\.rawValue)), got \"\(kindName)\"")
        }
        self.init(
            kind: kind,
            depth: try reader.required("depth", reader.integer),
            widths: try reader.required("widths", reader.array(reader.integer)),
            experts: try reader.required("experts", reader.integer),
            classNames: try reader.required("class_names", reader.array(reader.string)),
            inChannels: try reader.required("in_channels", reader.integer),
            inputSize: try reader.required("input_size", reader.array(reader.integer)),
            mean: try reader.required("mean", reader.array(reader.real)),
            std: try reader.required("std", reader.array(reader.real)),
            bnEps: try reader.required("bn_eps", reader.real),
            cosineScale: try reader.required("cosine_scale", reader.real),
            rcaReduction: try reader.required("rca_reduction", reader.integer),
            rcaMinHidden: try reader.required("rca_min_hidden", reader.integer),
            temperature: try reader.optional("temperature", reader.real) ?? 1,
            trainCounts: try reader.optional("train_counts", reader.array(reader.integer)),
            training: fields["training"])
        numClasses = try reader.required("num_classes", reader.integer)
        try validate()
    }

    /// Decodes and validates a configuration from JSON text (the checkpoint's `config` metadata).
    public init(jsonString: String) throws {
        let json: JSONValue
        do {
            json = try JSONValue.parse(jsonString)
        } catch let error as JSONParseError {
            if let key = error.duplicateKey, error.nestingLevel == 1 {
                throw ModelConfigurationError(field: key, problem: "appears more than once")
            }
            throw ModelConfigurationError(field: "config", problem: "is not valid JSON: \(error)")
        }
        try self.init(json: json)
    }

    /// The configuration as a JSON object (every field, optional ones only when set).
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "kind": .string(kind.rawValue),
            "depth": .integer(Int64(depth)),
            "widths": .array(widths.map { .integer(Int64($0)) }),
            "experts": .integer(Int64(experts)),
            "num_classes": .integer(Int64(numClasses)),
            "class_names": .array(classNames.map { .string($0) }),
            "in_channels": .integer(Int64(inChannels)),
            "input_size": .array(inputSize.map { .integer(Int64($0)) }),
            "mean": .array(mean.map { .number($0) }),
            "std": .array(std.map { .number($0) }),
            "bn_eps": .number(bnEps),
            "cosine_scale": .number(cosineScale),
            "rca_reduction": .integer(Int64(rcaReduction)),
            "rca_min_hidden": .integer(Int64(rcaMinHidden)),
            "temperature": .number(temperature),
        ]
        if let trainCounts { fields["train_counts"] = .array(trainCounts.map { .integer(Int64($0)) }) }
        if let training { fields["training"] = training }
        return .object(fields)
    }

    /// Compact JSON text with sorted keys: equal configurations give equal strings.
    public var jsonString: String { json.serialized }

    public init(from decoder: Decoder) throws {
        try self.init(json: try JSONValue(from: decoder))
    }

    public func encode(to encoder: Encoder) throws {
        try json.encode(to: encoder)
    }
}

/// Typed access to the fields of the config object, with errors that name the field.
private struct FieldReader {
    let fields: [String: JSONValue]

    func required<T>(_ field: String, _ convert: (String, JSONValue) throws -> T) throws -> T {
        guard let value = fields[field] else {
            throw ModelConfigurationError(field: field, problem: "is missing")
        }
        return try convert(field, value)
    }

    func optional<T>(_ field: String, _ convert: (String, JSONValue) throws -> T) throws -> T? {
        guard let value = fields[field], value != .null else { return nil }
        return try convert(field, value)
    }

    func integer(_ field: String, _ value: JSONValue) throws -> Int {
        if case .integer(let integer) = value, let result = Int(exactly: integer) { return result }
        throw ModelConfigurationError(field: field, problem: "must be an integer, got \(value.kindDescription)")
    }

    func real(_ field: String, _ value: JSONValue) throws -> Double {
        switch value {
        case .integer(let integer): return Double(integer)
        case .number(let number): return number
        default: throw ModelConfigurationError(field: field, problem: "must be a number, got \(value.kindDescription)")
        }
    }

    func string(_ field: String, _ value: JSONValue) throws -> String {
        if case .string(let text) = value { return text }
        throw ModelConfigurationError(field: field, problem: "must be a string, got \(value.kindDescription)")
    }

    func array<T>(_ element: @escaping (String, JSONValue) throws -> T) -> (String, JSONValue) throws -> [T] {
        return { field, value in
            guard case .array(let values) = value else {
                throw ModelConfigurationError(field: field, problem: "must be an array, got \(value.kindDescription)")
            }
            return try values.map { try element(field, $0) }
        }
    }
}
