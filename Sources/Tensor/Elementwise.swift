/// Elementwise operations on tensors of equal shape (residual connections and their gradients).
extension Tensor {
    /// self + other (the residual add; its backward pass hands the gradient to both operands).
    public func adding(_ other: Tensor) throws -> Tensor {
        guard shape == other.shape else {
            throw TensorError.shapeMismatch("add: shapes \(shape) and \(other.shape) differ")
        }
        var result = self
        result.withUnsafeMutableBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                for i in a.indices { a[i] += b[i] }
            }
        }
        return result
    }

    /// self += other · scale, in place.
    public mutating func add(_ other: Tensor, scaledBy scale: Float = 1) throws {
        guard shape == other.shape else {
            throw TensorError.shapeMismatch("add: shapes \(shape) and \(other.shape) differ")
        }
        withUnsafeMutableBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                for i in a.indices { a[i] += scale * b[i] }
            }
        }
    }

    /// Every scalar multiplied by `factor`.
    public func scaled(by factor: Float) -> Tensor {
        var result = self
        result.withUnsafeMutableBufferPointer { a in
            for i in a.indices { a[i] *= factor }
        }
        return result
    }

    /// The sum of all scalars, accumulated in double precision.
    public func sum() -> Double {
        withUnsafeBufferPointer { a in a.reduce(0.0) { $0 + Double($1) } }
    }

    /// The largest absolute difference to `other` (shapes must match).
    public func maximumAbsoluteDifference(to other: Tensor) throws -> Float {
        guard shape == other.shape else {
            throw TensorError.shapeMismatch("compare: shapes \(shape) and \(other.shape) differ")
        }
        var worst: Float = 0
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                for i in a.indices { worst = max(worst, abs(a[i] - b[i])) }
            }
        }
        return worst
    }

    /// True when every scalar is finite.
    public var isFinite: Bool {
        withUnsafeBufferPointer { a in a.allSatisfy { $0.isFinite } }
    }
}
