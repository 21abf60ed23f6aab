/// Reductions over contiguous Float runs with SIMD partial sums: Swift does not reassociate
/// floating-point additions, so a scalar loop would neither vectorise nor be as accurate.
public enum VectorMath {
    @inline(__always)
    public static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var accumulator = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            accumulator += UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var total = accumulator.sum()
        while i < count {
            total += values[i]
            i += 1
        }
        return total
    }

    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var accumulator = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            accumulator += x * y
            i += 16
        }
        var total = accumulator.sum()
        while i < count {
            total += a[i] * b[i]
            i += 1
        }
        return total
    }

    /// The largest value (−∞ for an empty run); four running maxima for instruction-level
    /// parallelism.
    @inline(__always)
    public static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var m0 = -Float.infinity
        var m1 = -Float.infinity
        var m2 = -Float.infinity
        var m3 = -Float.infinity
        var i = 0
        while i + 4 <= count {
            let (a, b, c, d) = (values[i], values[i + 1], values[i + 2], values[i + 3])
            m0 = a > m0 ? a : m0
            m1 = b > m1 ? b : m1
            m2 = c > m2 ? c : m2
            m3 = d > m3 ? d : m3
            i += 4
        }
        while i < count {
            m0 = values[i] > m0 ? values[i] : m0
            i += 1
        }
        return Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
    }

    /// Σ (x − mean)².
    @inline(__always)
    public static func squaredDeviation(_ values: UnsafePointer<Float>, count: Int, mean: Float) -> Float {
        var accumulator = SIMD16<Float>()
        let center = SIMD16<Float>(repeating: mean)
        var i = 0
        while i + 16 <= count {
            let d = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self) - center
            accumulator += d * d
            i += 16
        }
        var total = accumulator.sum()
        while i < count {
            let d = values[i] - mean
            total += d * d
            i += 1
        }
        return total
    }

    /// y = max(x, 0). A select, not a branch, so that LLVM vectorises it (SIMD types' pointwise
    /// helpers are lowered lane by lane and are slower).
    @inline(__always)
    public static func relu(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            y[i] = v > 0 ? v : 0
        }
    }

    /// dx = dy where y > 0, else 0; both loads unconditional so that the loop vectorises.
    @inline(__always)
    public static func reluGradient(
        output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        into dx: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count {
            let g = dy[i]
            dx[i] = y[i] > 0 ? g : 0
        }
    }
}
