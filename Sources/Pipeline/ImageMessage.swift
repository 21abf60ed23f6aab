import Foundation

/// One image of a wafer batch, as it travels on the topic (ARCHITECTURE §5). The JSON value is the
/// contract: other producers (kcat, fab software) write it too, so decoding is strict about the
/// required fields and keeps, rather than rejects, fields it does not know.
public struct ImageMessage: Equatable, Sendable {
    public var batchID: String
    public var waferID: String
    public var imageID: String
    public var uri: String
    public var product: String?
    public var dieX: Int?
    public var dieY: Int?
    public var capturedAt: Date?
    /// Unknown fields, re-encoded as a JSON object (stored with the image row), or nil when none.
    public var extraJSON: String?

    static let maximumIdentifierLength = 256
    /// JSON booleans arrive as NSNumber too; their class is how to tell `true` from `1`.
    private static let booleanType: NSNumber.Type = type(of: NSNumber(value: true))
    static let knownFields: Set<String> = [
        "batch_id", "wafer_id", "image_id", "uri", "product", "die_x", "die_y", "captured_at",
    ]

    public init(
        batchID: String, waferID: String, imageID: String, uri: String, product: String? = nil,
        dieX: Int? = nil, dieY: Int? = nil, capturedAt: Date? = nil, extraJSON: String? = nil
    ) {
        self.batchID = batchID
        self.waferID = waferID
        self.imageID = imageID
        self.uri = uri
        self.product = product
        self.dieX = dieX
        self.dieY = dieY
        self.capturedAt = capturedAt
        self.extraJSON = extraJSON
    }

    /// The local file the `uri` names: `file:///abs/path` or a plain path.
    public var filePath: String {
        get throws {
            if uri.hasPrefix("file://") {
                guard let url = URL(string: uri), url.isFileURL, !url.path.isEmpty else {
                    throw MessageError.invalidField("uri", "'\(uri)' is not a valid file URI")
                }
                return url.path
            }
            if let scheme = uri.range(of: "://") {
                throw MessageError.invalidField(
                    "uri", "scheme '\(uri[..<scheme.lowerBound])' is not supported (file:// or a path)")
            }
            return uri
        }
    }

    public init(json bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { throw MessageError.notJSON("empty message") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw MessageError.notJSON("value is not valid UTF-8")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw MessageError.notJSON("value is not JSON (\(bytes.count) bytes)")
        }
        guard let fields = object as? [String: Any] else {
            throw MessageError.notJSON("value is JSON but not an object")
        }
        func identifier(_ name: String) throws -> String {
            guard let raw = fields[name], !(raw is NSNull) else { throw MessageError.missingField(name) }
            guard let value = raw as? String else { throw MessageError.invalidField(name, "must be a string") }
            guard !value.isEmpty, value.count <= Self.maximumIdentifierLength else {
                throw MessageError.invalidField(name, "must be 1...\(Self.maximumIdentifierLength) characters")
            }
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw MessageError.invalidField(name, "contains control characters")
            }
            return value
        }
        func optionalInteger(_ name: String) throws -> Int? {
            guard let raw = fields[name], !(raw is NSNull) else { return nil }
            guard let number = raw as? NSNumber, type(of: number) != Self.booleanType,
                let value = Int(exactly: number.doubleValue), abs(value) <= Int(Int32.max)
            else { throw MessageError.invalidField(name, "must be an integer") }
            return value
        }
        batchID = try identifier("batch_id")
        waferID = try identifier("wafer_id")
        imageID = try identifier("image_id")
        uri = try identifier("uri")
        if let raw = fields["product"], !(raw is NSNull) {
            guard let value = raw as? String else { throw MessageError.invalidField("product", "must be a string") }
            product = value
        }
        dieX = try optionalInteger("die_x")
        dieY = try optionalInteger("die_y")
        if let raw = fields["captured_at"], !(raw is NSNull) {
            guard let text = raw as? String, let date = Self.parseTimestamp(text) else {
                throw MessageError.invalidField("captured_at", "must be an ISO 8601 timestamp")
            }
            capturedAt = date
        }
        let extra = fields.filter { !Self.knownFields.contains($0.key) }
        if !extra.isEmpty, let data = try? JSONSerialization.data(withJSONObject: extra, options: [.sortedKeys]) {
            extraJSON = String(decoding: data, as: UTF8.self)
        }
    }

    /// The JSON value of the contract, with the extra fields merged back in.
    public func jsonBytes() -> [UInt8] {
        var fields: [String: Any] = [:]
        if let extraJSON, let data = extraJSON.data(using: .utf8),
            let extra = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            fields = extra
        }
        fields["batch_id"] = batchID
        fields["wafer_id"] = waferID
        fields["image_id"] = imageID
        fields["uri"] = uri
        if let product { fields["product"] = product }
        if let dieX { fields["die_x"] = dieX }
        if let dieY { fields["die_y"] = dieY }
        if let capturedAt { fields["captured_at"] = Self.formatTimestamp(capturedAt) }
        let data =
            (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return [UInt8](data)
    }

    static func parseTimestamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    static func formatTimestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// Why a message value is not an image message; the worker dead-letters it with this reason.
public enum MessageError: Error, CustomStringConvertible, Equatable {
    case notJSON(String)
    case missingField(String)
    case invalidField(String, String)

    public var description: String {
        switch self {
        case .notJSON(let reason): return "not a JSON image message: \(reason)"
        case .missingField(let name): return "missing required field '\(name)'"
        case .invalidField(let name, let reason): return "field '\(name)' \(reason)"
        }
    }
}
