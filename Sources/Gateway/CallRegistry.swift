import CPJSIP

/// What the registry needs of a call.
protocol RegisteredCall: AnyObject {
    var pjCall: pjsua_call_id { get }
    var serial: UInt64 { get }
    var callerNumber: String { get }
    var isEnded: Bool { get }
}

/// Every call the owner knows, under the keys it is looked up by. Owner-thread only.
///
/// pjsua reuses a call id once its call is over, so a call is found by its pjsua id only while its SIP call
/// lasts (`connected`); it stays known by its serial until it is retired (its draft stored), because the
/// events of its recording and its draft come back by serial. An agent's leg is found by its own pjsua id.
struct CallRegistry<Call: RegisteredCall> {
    private var connected: [pjsua_call_id: Call] = [:]
    private var bySerial: [UInt64: Call] = [:]
    /// Outgoing legs to agents, by their pjsua id, and the caller's call each belongs to.
    private var agentLegs: [pjsua_call_id: Call] = [:]

    /// What a pjsua id's disconnection ended.
    enum Ended {
        case caller(Call)
        case agentLeg(of: Call)
    }

    mutating func add(_ call: Call) {
        connected[call.pjCall] = call
        bySerial[call.serial] = call
    }

    /// The caller's call with this pjsua id, while it lasts.
    func call(_ pjCall: pjsua_call_id) -> Call? { connected[pjCall] }
    func call(serial: UInt64) -> Call? { bySerial[serial] }
    /// The caller's call an agent's leg belongs to.
    func callOfAgentLeg(_ pjCall: pjsua_call_id) -> Call? { agentLegs[pjCall] }

    mutating func addAgentLeg(_ agent: pjsua_call_id, of call: Call) { agentLegs[agent] = call }

    /// Forgets the pjsua id of a call that ended (its serial stays until `retire`).
    mutating func disconnected(_ pjCall: pjsua_call_id) -> Ended? {
        if let call = connected.removeValue(forKey: pjCall) { return .caller(call) }
        if let call = agentLegs.removeValue(forKey: pjCall) { return .agentLeg(of: call) }
        return nil
    }

    /// Forgets the call altogether.
    mutating func retire(_ call: Call) { bySerial.removeValue(forKey: call.serial) }

    /// The calls whose SIP call lasts.
    var live: Dictionary<pjsua_call_id, Call>.Values { connected.values }
    var liveCount: Int { connected.count }
    /// Nothing left: no SIP call, no draft being stored, no agent leg.
    var isEmpty: Bool { connected.isEmpty && bySerial.isEmpty && agentLegs.isEmpty }

    /// The live calls from this caller number.
    func liveCount(callerNumber: String) -> Int {
        connected.values.filter { !$0.isEnded && $0.callerNumber == callerNumber }.count
    }
}
