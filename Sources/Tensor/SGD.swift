/// Settings of stochastic gradient descent, PyTorch's semantics.
public struct SGDConfiguration: Sendable, Equatable {
    public var learningRate: Double
    public var momentum: Double
    public var dampening: Double
    public var nesterov: Bool
    public var weightDecay: Double
    /// Whether BatchNorm γ/β are decayed (commonly not).
    public var decayNormalization: Bool
    /// Whether biases are decayed (commonly not).
    public var decayBias: Bool

    public init(
        learningRate: Double = 0.1, momentum: Double = 0.9, dampening: Double = 0,
        nesterov: Bool = false, weightDecay: Double = 5e-4, decayNormalization: Bool = false,
        decayBias: Bool = false
    ) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.decayNormalization = decayNormalization
        self.decayBias = decayBias
    }

    public func validate() throws {
        guard learningRate >= 0, learningRate.isFinite else {
            throw TensorError.invalidArgument("SGD learning rate must be ≥ 0, got \(learningRate)")
        }
        guard momentum >= 0, momentum < 1 else {
            throw TensorError.invalidArgument("SGD momentum must be in [0, 1), got \(momentum)")
        }
        guard dampening >= 0, dampening <= 1 else {
            throw TensorError.invalidArgument("SGD dampening must be in [0, 1], got \(dampening)")
        }
        guard weightDecay >= 0, weightDecay.isFinite else {
            throw TensorError.invalidArgument("SGD weight decay must be ≥ 0, got \(weightDecay)")
        }
        if nesterov && (momentum == 0 || dampening != 0) {
            throw TensorError.invalidArgument("Nesterov momentum needs momentum > 0 and zero dampening")
        }
    }
}

/// SGD with momentum (optionally Nesterov) and decoupled-from-role weight decay:
/// d = g + λ·p; v = μ·v + (1 − dampening)·d (v = d on the first step); p −= lr · (d + μ·v or v).
public final class SGD {
    public let parameters: [Parameter]
    public var configuration: SGDConfiguration
    private var velocities: [Tensor?]

    public init(parameters: [Parameter], configuration: SGDConfiguration) throws {
        try configuration.validate()
        self.parameters = parameters
        self.configuration = configuration
        velocities = Array(repeating: nil, count: parameters.count)
    }

    public var learningRate: Double {
        get { configuration.learningRate }
        set { configuration.learningRate = newValue }
    }

    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// The momentum buffers, in parameter order (nil before a parameter's first step); for
    /// checkpointing a training run.
    public var momentumBuffers: [Tensor?] {
        get { velocities }
        set { velocities = newValue }
    }

    public func step() throws {
        let config = configuration
        let lr = Float(config.learningRate)
        let momentum = Float(config.momentum)
        let damp = Float(1 - config.dampening)
        for (index, parameter) in parameters.enumerated() {
            let decays: Bool
            switch parameter.role {
            case .weight: decays = true
            case .bias: decays = config.decayBias
            case .normalization: decays = config.decayNormalization
            }
            let decay = decays ? Float(config.weightDecay) : 0
            guard parameter.gradient.isFinite else {
                throw TensorError.invalidState(
                    "SGD: non-finite gradient for parameter \(index) of shape \(parameter.value.shape)")
            }
            var velocity = velocities[index]
            let first = velocity == nil
            if momentum > 0 && first { velocity = Tensor(zeros: parameter.value.shape) }
            parameter.value.withUnsafeMutableBufferPointer { p in
                parameter.gradient.withUnsafeBufferPointer { g in
                    if momentum > 0 {
                        velocity!.withUnsafeMutableBufferPointer { v in
                            for i in p.indices {
                                let d = g[i] + decay * p[i]
                                v[i] = first ? d : momentum * v[i] + damp * d
                                let update = config.nesterov ? d + momentum * v[i] : v[i]
                                p[i] -= lr * update
                            }
                        }
                    } else {
                        for i in p.indices { p[i] -= lr * (g[i] + decay * p[i]) }
                    }
                }
            }
            velocities[index] = velocity
        }
    }
}
