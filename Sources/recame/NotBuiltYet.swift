/// Thrown by commands whose issue has not landed yet, so that the CLI says so instead of pretending.
struct NotBuiltYet: Error, CustomStringConvertible {
    let command: String
    var description: String { "'recame \(command)' is not implemented in this build yet" }
}
