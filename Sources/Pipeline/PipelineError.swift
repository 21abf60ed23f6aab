/// A pipeline operation that cannot go on, with what an operator needs to fix it.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
