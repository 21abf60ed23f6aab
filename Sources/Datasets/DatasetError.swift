/// Why a data set could not be loaded; every case names the file or class at fault.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case badSpecification(String)
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case emptyClass(name: String, path: String)
    case noTrainingImages(className: String)
    case empty(path: String)

    public var description: String {
        switch self {
        case .badSpecification(let message):
            return "bad data specification: \(message)"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformed(let path, let reason):
            return "\(path): \(reason)"
        case .emptyClass(let name, let path):
            return "class '\(name)' has no images (\(path))"
        case .noTrainingImages(let className):
            return "class '\(className)' has no training images after the split; add images or change the split"
        case .empty(let path):
            return "no images found under \(path)"
        }
    }
}
