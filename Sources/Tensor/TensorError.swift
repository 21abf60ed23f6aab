/// Errors raised by tensor operations; the message names the offending tensor or argument.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(String)
    case invalidArgument(String)
    case invalidState(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let message): return "shape mismatch: \(message)"
        case .invalidArgument(let message): return "invalid argument: \(message)"
        case .invalidState(let message): return "invalid state: \(message)"
        }
    }
}
