import Foundation

/// Users' own data: `root/<class>/**/*.{png,jpg,jpeg,pgm}`, one sub-folder per class (nested folders
/// below a class belong to it). With `root/split.csv` (`path,split` rows, paths relative to root) the
/// split is the user's; otherwise it is a seeded stratified 70/10/20 split, written to `splitFile`
/// so that later runs and other tools use the same one.
public struct ImageFolder {
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "pgm"]

    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// Class names (sorted sub-folder names) and, per class, the image paths relative to `root`.
    public func scan() throws -> [(className: String, paths: [String])] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError.unreadable(path: root, reason: "not a directory")
        }
        let classes = try manager.contentsOfDirectory(atPath: root).filter { name in
            var isFolder: ObjCBool = false
            return !name.hasPrefix(".") && manager.fileExists(atPath: "\(root)/\(name)", isDirectory: &isFolder)
                && isFolder.boolValue
        }.sorted()
        guard !classes.isEmpty else { throw DatasetError.empty(path: root) }
        return try classes.map { className in
            let folder = "\(root)/\(className)"
            guard let enumerator = manager.enumerator(atPath: folder) else {
                throw DatasetError.unreadable(path: folder, reason: "cannot list")
            }
            var paths = [String]()
            while let relative = enumerator.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                let ext = (relative as NSString).pathExtension.lowercased()
                if !name.hasPrefix("."), Self.imageExtensions.contains(ext) { paths.append("\(className)/\(relative)") }
            }
            guard !paths.isEmpty else { throw DatasetError.emptyClass(name: className, path: folder) }
            return (className, paths.sorted())
        }
    }
}
