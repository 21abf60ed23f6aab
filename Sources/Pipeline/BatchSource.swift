import Foundation

/// The images of one wafer batch to publish: every image file under a directory, or the rows of a
/// manifest CSV with a header `path,wafer,die_x,die_y,product` (die and product columns optional,
/// an `image_id` column optional). Paths are checked here, where a mistake is cheap to fix, rather
/// than discovered by workers as dead letters.
public struct BatchSource: Sendable {
    public struct Entry: Equatable, Sendable {
        public var path: String
        public var imageID: String
        public var waferID: String
        public var dieX: Int?
        public var dieY: Int?
        public var product: String?

        public init(
            path: String, imageID: String, waferID: String, dieX: Int? = nil, dieY: Int? = nil, product: String? = nil
        ) {
            self.path = path
            self.imageID = imageID
            self.waferID = waferID
            self.dieX = dieX
            self.dieY = dieY
            self.product = product
        }
    }

    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "pgm", "ppm"]

    public let entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Every image file below `directory` (recursively, sorted), on wafer `wafer`.
    public static func directory(_ directory: String, batchID: String, wafer: String, product: String?) throws
        -> BatchSource
    {
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else {
            throw PipelineError("cannot list directory \(directory)")
        }
        var relatives = [String]()
        while let relative = enumerator.nextObject() as? String {
            let ext = (relative as NSString).pathExtension.lowercased()
            if imageExtensions.contains(ext) && !(relative as NSString).lastPathComponent.hasPrefix(".") {
                relatives.append(relative)
            }
        }
        guard !relatives.isEmpty else {
            throw PipelineError("no image files (\(imageExtensions.sorted())) under \(directory)")
        }
        return BatchSource(
            entries: relatives.sorted().map { relative in
                Entry(
                    path: root.appendingPathComponent(relative).path, imageID: "\(batchID)/\(relative)",
                    waferID: wafer, product: product)
            })
    }

    /// The rows of a manifest CSV; relative paths are resolved against the manifest's folder.
    public static func manifest(_ path: String, batchID: String, defaultWafer: String?, defaultProduct: String?)
        throws -> BatchSource
    {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PipelineError("cannot read manifest \(path)")
        }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter {
            !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }
        guard let headerLine = lines.first else { throw PipelineError("manifest \(path) is empty") }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard let pathColumn = header.firstIndex(of: "path") else {
            throw PipelineError("manifest \(path): the header needs a 'path' column (path,wafer,die_x,die_y,product)")
        }
        let known: Set<String> = ["path", "wafer", "die_x", "die_y", "product", "image_id"]
        if let unknown = header.first(where: { !known.contains($0) }) {
            throw PipelineError("manifest \(path): unknown column '\(unknown)' (known: \(known.sorted()))")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        var entries = [Entry]()
        var seen = Set<String>()
        for (number, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let place = "manifest \(path) line \(number + 1)"
            guard fields.count == header.count else {
                throw PipelineError("\(place): \(fields.count) fields, the header has \(header.count)")
            }
            func field(_ name: String) -> String? {
                header.firstIndex(of: name).map { fields[$0] }.flatMap { $0.isEmpty ? nil : $0 }
            }
            func integer(_ name: String) throws -> Int? {
                guard let text = field(name) else { return nil }
                guard let value = Int(text) else {
                    throw PipelineError("\(place): \(name) '\(text)' is not an integer")
                }
                return value
            }
            let rawPath = fields[pathColumn]
            guard !rawPath.isEmpty else { throw PipelineError("\(place): empty path") }
            let resolved =
                rawPath.hasPrefix("/") ? rawPath : base.appendingPathComponent(rawPath).standardizedFileURL.path
            guard let wafer = field("wafer") ?? defaultWafer else {
                throw PipelineError("\(place): no wafer (add a wafer column or pass --wafer)")
            }
            let imageID = field("image_id") ?? "\(batchID)/\(rawPath)"
            guard seen.insert(imageID).inserted else { throw PipelineError("\(place): duplicate image \(imageID)") }
            entries.append(
                Entry(
                    path: resolved, imageID: imageID, waferID: wafer, dieX: try integer("die_x"),
                    dieY: try integer("die_y"), product: field("product") ?? defaultProduct))
        }
        guard !entries.isEmpty else { throw PipelineError("manifest \(path) lists no images") }
        return BatchSource(entries: entries)
    }

    /// Paths that do not name a readable regular file.
    public func unreadablePaths() -> [String] {
        entries.map(\.path).filter { path in
            var isDirectory: ObjCBool = false
            return !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || isDirectory.boolValue
                || !FileManager.default.isReadableFile(atPath: path)
        }
    }
}
