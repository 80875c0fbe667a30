import Foundation
import HotlineCore
import XCTest

@testable import HotlineStore

/// Issue 23 §4: a live conversation's recording goes with the case made from the call or picked for it, whichever
/// of the two (the agent's case, the gateway's recording) comes first; once, and with one case only.
final class ConversationStoreTests: StoreTestCase {
    private func recording(_ call: String, _ name: String, at: Date) throws -> ConversationRecording {
        let path = dir + "/" + name
        try Data(repeating: 7, count: 3200).write(to: URL(fileURLWithPath: path))
        return ConversationRecording(call: call, callerNumber: "0912555666", agent: "lan", path: path, durationMs: 12_400,
                                     sha256: String(repeating: "c", count: 64), lossPercent: 1, startedAt: at)
    }

    private func liveDraft(_ call: String, at: Date) throws -> String {
        try store.liveCallDraft(PhoneDraft(callID: call, callerNumber: "0912555666", category: nil, confidential: nil,
                                           receivedAt: at, recordingPath: nil, recordingDurationMs: 0, recordingSHA256: nil,
                                           dialplanVersion: "live-call", interrupted: false))
    }

    private func recordings(of code: String) throws -> [Attachment] {
        try XCTUnwrap(try store.ticket(code)).attachments.filter { $0.kind == .recording }
    }

    func testTheCaseFirstThenTheRecordingIsAttachedOnceAndQueuedForTranscription() throws {
        let t0 = vn("2026-06-10T08:00:00")
        let call = ConversationRecording.reference(host: "gw-a", call: "41")
        let code = try liveDraft(call, at: t0)
        XCTAssertTrue(try store.linkConversation(call, callerNumber: "0912555666", toCase: code, by: "lan", at: t0))
        XCTAssertEqual(try store.conversation(call)?.trackingCode, code)
        XCTAssertNil(try store.conversation(call)?.path, "nothing recorded yet")
        XCTAssertTrue(try recordings(of: code).isEmpty)

        let talk = try recording(call, "talk-41.wav", at: t0)
        XCTAssertEqual(try store.fileConversation(talk, at: t0.addingTimeInterval(40)), code)
        // The gateway filing it again (a retry after a lost answer) changes nothing.
        XCTAssertEqual(try store.fileConversation(talk, at: t0.addingTimeInterval(41)), code)
        let attached = try recordings(of: code)
        XCTAssertEqual(attached.map(\.path), [talk.path])
        XCTAssertEqual(attached.first?.durationMs, 12_400)
        XCTAssertEqual(attached.first?.audioLossPercent, 1)
        XCTAssertEqual(try store.transcriptionJob(for: code)?.status, .queued, "transcribed like a voice report")
        XCTAssertEqual(try store.history(code).filter { $0.action == "link-conversation" }.count, 1)
        XCTAssertEqual(try store.draftQueue(now: t0).filter { $0.trackingCode == code }.first?.recordingPath, talk.path)
    }

    func testTheRecordingFirstThenTheCaseInWrapUpAndAPickedCaseKeepsItsVoiceReportFirst() throws {
        let t0 = vn("2026-06-10T09:00:00")
        // Filed before any case: kept, attached to nothing.
        let call = ConversationRecording.reference(host: "gw-b", call: "7")
        let talk = try recording(call, "talk-7.wav", at: t0)
        XCTAssertNil(try store.fileConversation(talk, at: t0))
        XCTAssertEqual(try store.conversation(call)?.path, talk.path)
        // The agent makes the case in wrap-up: the recording goes with it at once.
        let code = try liveDraft(call, at: t0.addingTimeInterval(20))
        XCTAssertTrue(try store.linkConversation(call, callerNumber: "0912555666", toCase: code, by: "lan", at: t0.addingTimeInterval(20)))
        XCTAssertEqual(try recordings(of: code).map(\.path), [talk.path])
        // One case per conversation: another case is refused, the same one is fine.
        let other = try liveDraft(ConversationRecording.reference(host: "gw-b", call: "8"), at: t0)
        XCTAssertFalse(try store.linkConversation(call, callerNumber: "0912555666", toCase: other, by: "minh", at: t0))
        XCTAssertTrue(try store.linkConversation(call, callerNumber: "0912555666", toCase: code, by: "lan", at: t0))
        XCTAssertEqual(try recordings(of: code).count, 1)
        XCTAssertEqual(try store.history(code).filter { $0.action == "link-conversation" }.count, 1, "linked again: nothing new written")
        XCTAssertTrue(try recordings(of: other).isEmpty)

        // A picked case that has a voice report: the conversation is its second recording, and the hotline's
        // queue still shows the case once, with its voice report.
        let voice = dir + "/voice.wav"
        try Data(repeating: 1, count: 320).write(to: URL(fileURLWithPath: voice))
        let reported = try store.createPhoneDraft(PhoneDraft(
            callID: "sip-1", callerNumber: "0912555666", category: .infrastructure, confidential: nil, receivedAt: t0,
            recordingPath: voice, recordingDurationMs: 3000, recordingSHA256: nil, dialplanVersion: "t1", interrupted: false))
        let again = ConversationRecording.reference(host: "gw-b", call: "9")
        XCTAssertTrue(try store.linkConversation(again, callerNumber: "0912555666", toCase: reported, by: "lan", at: t0))
        XCTAssertEqual(try store.fileConversation(try recording(again, "talk-9.wav", at: t0), at: t0), reported)
        XCTAssertEqual(try recordings(of: reported).map { ($0.path as NSString).lastPathComponent }, ["voice.wav", "talk-9.wav"])
        let queued = try store.draftQueue(now: t0).filter { $0.trackingCode == reported }
        XCTAssertEqual(queued.map(\.recordingPath), [voice])
        XCTAssertThrowsError(try store.linkConversation(again, callerNumber: "", toCase: "20260610-9999999", by: "lan", at: t0))
    }
}
