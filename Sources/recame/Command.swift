/// One `recame` sub-command. `run` returns the process exit status; a thrown `UsageError` exits 2,
/// any other error exits 1, both with the reason on stderr.
protocol Command {
    static var name: String { get }
    static var summary: String { get }
    /// The full `recame NAME --help` text: every flag, its default and its meaning.
    static var usage: String { get }
    static var booleanFlags: Set<String> { get }
    static func run(_ arguments: Arguments) throws -> Int32
}

extension Command {
    static var booleanFlags: Set<String> { [] }
}
