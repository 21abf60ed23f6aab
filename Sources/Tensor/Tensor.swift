/// A dense Float32 tensor in row-major (C) order. Images are NCHW.
///
/// The storage is a Swift array, so a `Tensor` is a value with copy-on-write: hot loops take an
/// unsafe buffer once (`withUnsafeMutableBufferPointer`) and never copy while the value is unique.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public private(set) var scalars: [Float]

    /// Creates a tensor from its scalars; the scalar count must equal the product of the shape.
    public init(shape: [Int], scalars: [Float]) throws {
        let count = try Tensor.elementCount(of: shape)
        guard scalars.count == count else {
            throw TensorError.invalidArgument(
                "tensor of shape \(shape) needs \(count) scalars, got \(scalars.count)")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor filled with `value`. Dimensions must be non-negative (a programming error otherwise).
    public init(repeating value: Float, shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.scalars = [Float](repeating: value, count: shape.reduce(1, *))
    }

    public init(zeros shape: [Int]) {
        self.init(repeating: 0, shape: shape)
    }

    /// A tensor whose scalars `initializer` writes; it must set every one of them. Saves the
    /// zero-fill of `init(zeros:)` in hot paths where every element is overwritten anyway.
    public init(shape: [Int], initializingWith initializer: (UnsafeMutableBufferPointer<Float>) -> Void) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        let count = shape.reduce(1, *)
        self.shape = shape
        self.scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            initializer(buffer)
            initialized = count
        }
    }

    /// A scalar (rank 0) tensor.
    public init(scalar: Float) {
        self.shape = []
        self.scalars = [scalar]
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// Flat (row-major) element access.
    public subscript(flat index: Int) -> Float {
        get { scalars[index] }
        set { scalars[index] = newValue }
    }

    /// Element access by multi-index, checked against the shape.
    public subscript(indices: Int...) -> Float {
        get { scalars[offset(of: indices)] }
        set { scalars[offset(of: indices)] = newValue }
    }

    private func offset(of indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "index \(indices) does not match shape \(shape)")
        var offset = 0
        for (index, dimension) in zip(indices, shape) {
            precondition(index >= 0 && index < dimension, "index \(indices) out of bounds for \(shape)")
            offset = offset * dimension + index
        }
        return offset
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows
        -> R
    {
        try scalars.withUnsafeBufferPointer(body)
    }

    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }

    /// The same scalars seen with another shape of equal element count.
    public func reshaped(to newShape: [Int]) throws -> Tensor {
        let count = try Tensor.elementCount(of: newShape)
        guard count == scalars.count else {
            throw TensorError.shapeMismatch("cannot reshape \(shape) (\(scalars.count) scalars) to \(newShape)")
        }
        var result = self
        result.shape = newShape
        return result
    }

    /// Gives the tensor a new shape, reusing the existing allocation when it is large enough.
    /// The contents are unspecified afterwards; workspaces use this to avoid allocating in loops.
    public mutating func resize(to newShape: [Int]) {
        precondition(newShape.allSatisfy { $0 >= 0 }, "negative dimension in \(newShape)")
        let count = newShape.reduce(1, *)
        if count != scalars.count {
            if count < scalars.count {
                scalars.removeLast(scalars.count - count)
            } else {
                scalars.reserveCapacity(count)
                scalars.append(contentsOf: repeatElement(0, count: count - scalars.count))
            }
        }
        shape = newShape
    }

    /// Sets every scalar to `value` without reallocating.
    public mutating func fill(_ value: Float) {
        scalars.withUnsafeMutableBufferPointer { buffer in
            buffer.update(repeating: value)
        }
    }

    /// Throws unless the shape is exactly `expected`; `name` says which tensor is wrong.
    public func checkShape(_ expected: [Int], _ name: String) throws {
        guard shape == expected else {
            throw TensorError.shapeMismatch("\(name): expected shape \(expected), got \(shape)")
        }
    }

    /// Throws unless the tensor has the given rank.
    public func checkRank(_ expected: Int, _ name: String) throws {
        guard shape.count == expected else {
            throw TensorError.shapeMismatch("\(name): expected rank \(expected), got shape \(shape)")
        }
    }

    static func elementCount(of shape: [Int]) throws -> Int {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else {
                throw TensorError.invalidArgument("negative dimension in shape \(shape)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw TensorError.invalidArgument("shape \(shape) is too large") }
            count = product
        }
        return count
    }
}

/// Lends the scalars of an optional tensor as an optional pointer (nil when there is no tensor).
func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows
    -> R
{
    guard let tensor else { return try body(nil) }
    return try tensor.withUnsafeBufferPointer { try body($0.baseAddress) }
}
