import Console
import Foundation
import HotlineServices
import HotlineDesk
import Gateway
import HotlineCore
import HotlineStore
import IVR

let serveCommand = Command.leaf(
    "serve", "Chạy tổng đài điện thoại: trả lời cuộc gọi, ghi âm phản ánh bằng giọng nói, lập phản ánh nháp.",
    help: ServeSettings.help
) { args in
    var settings = ServeSettings()
    try settings.apply(&args)
    try args.finish()
    try Server(settings).run()
}

/// Wires the store, the dialplan and the gateway together and runs until a signal stops it.
struct Server {
    let settings: ServeSettings
    let logger: StderrLogger
    let monitoring: ServeMonitoring

    init(_ settings: ServeSettings) {
        self.settings = settings
        self.logger = StderrLogger(minimum: LogLevel(rawValue: settings.logLevel) ?? .info)
        self.monitoring = ServeMonitoring(database: settings.database)
    }

    func run() throws {
        Server.restrictNewFiles()
        let plan = try startingPlan()
        let store: TicketStore
        do {
            store = try TicketStore(path: settings.database)
        } catch {
            throw CommandFailure("không mở được cơ sở dữ liệu \(settings.database): \(error)")
        }
        warnAboutWideModes()
        try claimRecordingsFolder()
        let calendar: WorkingCalendar
        if !FileManager.default.fileExists(atPath: settings.calendar) {
            logger.log(.warning, "calendar-file-missing", [("path", settings.calendar),
                ("effect", "built-in holidays only; announced days off are not known")])
        }
        do {
            calendar = try WorkingCalendar.load(path: settings.calendar)
        } catch {
            throw CommandFailure("không khởi động được: \(error)")
        }
        importUnitsIfNone(store)
        if (try? store.userCount()) == 0 {
            logger.log(.warning, "no-users", [("effect", "drafts are filed, but nobody can pick them up yet"),
                ("fix", "hotline1022 users add NAME --role administrator --db \(settings.database)")])
        }
        let outbox: OutboxService
        let reports: DeliveryReports?
        do {
            outbox = try OutboxService(database: settings.database, senders: settings.delivery.makeSenders(database: settings.database),
                                       intervalSeconds: settings.delivery.intervalSeconds,
                                       reportWait: TimeInterval(settings.delivery.reportWaitSeconds), logger: logger)
            reports = try settings.delivery.startReports(database: settings.database, logger: logger)
        } catch {
            throw CommandFailure("không khởi động được bộ gửi tin nhắn (outbox): \(error)")
        }
        outbox.start()
        logger.log(.info, "outbox-started", [("to", settings.delivery.destination),
                                             ("reports", reports.map { "\(settings.delivery.listenAddress.address):\($0.port)" } ?? "off")])
        let transcription = startTranscription()
        let desk = PhoneDesk(store: store, logger: logger, calendar: calendar, officeHoursMode: settings.officeHours,
                             maxGroup: settings.draftGroup)
        if settings.draftStoreDelayMs > 0 {
            let pause = UInt32(settings.draftStoreDelayMs) * 1000
            desk.beforeGroupStored = { _ in usleep(pause) }
        }
        let metrics = monitoring.metrics
        desk.onDraftStored = { seconds, interrupted, succeeded in
            metrics.draftStored(seconds: seconds, interrupted: interrupted, succeeded: succeeded)
        }
        recoverInterruptedRecordings(desk)

        var configuration = GatewayConfiguration()
        configuration.sipAddress = settings.sipAddress
        configuration.sipPort = settings.sipPort
        configuration.rtpPort = settings.rtpPort
        configuration.maxCalls = settings.maxCalls
        configuration.recordingsDirectory = settings.instanceRecordings
        configuration.pjsipLogLevel = settings.pjsipLogLevel
        configuration.sourcePolicy = SourcePolicy(networks: try settings.sourceNetworks())
        configuration.srtp = SRTPPolicy(rawValue: settings.srtp) ?? .off
        configuration.tcp = settings.sipTransports.contains("tcp")
        configuration.admission = try settings.admissionLimits()
        configuration.rtpTimeoutSeconds = settings.rtpTimeoutSeconds
        configuration.sendSilence = settings.sendSilence
        configuration.recordConversations = !settings.noConversationRecording
        configuration.callbackTrunk = settings.callbackTrunk.isEmpty ? nil : settings.callbackTrunk
        configuration.overloadTickMs = settings.overloadTickMs
        configuration.overloadCPUPercent = settings.overloadCPUPercent
        configuration.signallingPriority = settings.signallingPriority
        configuration.maxCallSeconds = settings.maxCallSeconds
        // `--agents-uri` is an external member of the live queue, named by the URI's user part (none: only the
        // phones set with `users phone`).
        if settings.agentsURI != "none" {
            configuration.queueMembers = [QueueMember(name: QueueMember.name(ofURI: settings.agentsURI), uri: settings.agentsURI)]
        }
        configuration.agentNetworks = try settings.agentNetworks.map(SourcePolicy.Network.init)
        if !settings.registrar.isEmpty {
            var registration = TrunkRegistration(registrarURI: settings.registrar, user: settings.registerUser,
                                                 password: settings.registerPassword)
            registration.retrySeconds = settings.registerRetrySeconds
            configuration.registration = registration
        }
        if settings.tlsPort > 0 {
            configuration.tls = TLSConfiguration(port: settings.tlsPort, certificateFile: settings.tlsCertificate,
                                                 privateKeyFile: settings.tlsPrivateKey)
        }
        let gateway = Gateway(configuration: configuration, plan: plan, desk: desk, logger: monitoring.logger(wrapping: logger))

        // Signals are turned into events for the gateway's owner thread; nothing else runs in them.
        for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_IGN) }
        let signalQueue = DispatchQueue(label: "hotline1022.signals")
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: signalQueue)
            source.setEventHandler { [logger, settings, monitoring] in
                logger.log(.info, "signal", [("signal", sig == SIGINT ? "SIGINT" : "SIGTERM")])
                monitoring.markDraining()
                gateway.shutdown(drainSeconds: settings.drainSeconds)
            }
            source.resume()
            sources.append(source)
        }
        let reload = DispatchSource.makeSignalSource(signal: SIGHUP, queue: signalQueue)
        reload.setEventHandler { [self] in reloadPlan(into: gateway, reason: "SIGHUP") }
        reload.resume()
        sources.append(reload)
        let watcher = DialplanWatcher(paths: [settings.dialplan], queue: signalQueue) { [self] in
            reloadPlan(into: gateway, reason: "file-changed")
        }

        do {
            try gateway.start()
        } catch {
            throw CommandFailure("không khởi động được cổng SIP: \(error)")
        }
        monitoring.start(port: settings.metricsPort, logger: logger)
        var console: Console?
        do {
            console = try settings.console.start(database: settings.database,
                                                 configDirectory: (settings.calendar as NSString).deletingLastPathComponent,
                                                 dialplan: DialplanSettings(live: settings.dialplan, promptDirectory: settings.prompts,
                                                                            variables: ["agentsURI": settings.agentsURI]),
                                                 logger: logger)
        } catch {
            logger.log(.error, "console-failed", [("error", "\(error)")])
        }
        gateway.waitUntilStopped()
        console?.stop()
        monitoring.stop()
        watcher.stop()
        sources.forEach { $0.cancel() }
        outbox.stop()
        reports?.stop()
        transcription?.stop(waitSeconds: 5)
        try store.close()
    }

    /// A new database gets the shipped unit directory, so agents can route from the first call; an existing
    /// directory is never overwritten here (administrators change it with `units import`).
    func importUnitsIfNone(_ store: TicketStore) {
        do {
            guard try store.unitDirectory().units.isEmpty else { return }
            guard FileManager.default.fileExists(atPath: settings.units) else {
                logger.log(.warning, "units-file-missing", [("path", settings.units),
                    ("effect", "no unit directory: import one with `hotline1022 units import FILE --as ADMIN`")])
                return
            }
            let directory = try UnitDirectory.load(path: settings.units)
            try store.importUnits(directory)
            logger.log(.info, "units-imported", [("path", settings.units), ("units", "\(directory.units.count)"),
                                                 ("rules", "\(directory.rules.count)")])
        } catch {
            logger.log(.error, "units-import-failed", [("path", settings.units), ("error", "\(error)")])
        }
    }

    /// The plan to answer with: the live file when it is valid (kept as the last good plan), otherwise the
    /// last plan that was good, logged loudly, so a broken edit never leaves 0225.1022 unanswered. Only when
    /// no good plan exists at all does serve refuse to start.
    func startingPlan() throws -> CallPlan {
        let lastGood = DialplanFiles.lastGood(of: settings.dialplan)
        do {
            let plan = try loadPlan()
            if let data = FileManager.default.contents(atPath: settings.dialplan),
               FileManager.default.contents(atPath: lastGood) != data {
                do {
                    try DialplanFiles.replace(lastGood, with: data)
                } catch {
                    logger.log(.warning, "dialplan-last-good-not-saved", [("path", lastGood), ("error", "\(error)")])
                }
            }
            return plan
        } catch {
            guard FileManager.default.fileExists(atPath: lastGood), let plan = try? loadPlan(from: lastGood) else {
                throw CommandFailure("không khởi động được: \(error) (cũng không có kịch bản hợp lệ nào đã cài trước đó tại \(lastGood))")
            }
            logger.log(.error, "dialplan-invalid-serving-last-good", [
                ("path", settings.dialplan), ("error", "\(error)"), ("serving", lastGood), ("version", plan.dialplan.version),
                ("fix", "hotline1022 dialplan validate \(settings.dialplan) --prompts \(settings.prompts)"),
            ])
            return plan
        }
    }

    func loadPlan(from path: String? = nil) throws -> CallPlan {
        let dialplan = try DialplanLoader.load(
            path: path ?? settings.dialplan, promptDirectory: settings.prompts,
            variables: ["agentsURI": settings.agentsURI])
        let prompts = try PromptLibrary.load(directory: settings.prompts, names: dialplan.allPromptNames)
        return CallPlan(dialplan: dialplan, prompts: prompts)
    }

    /// A valid new plan serves new calls; an invalid one is refused with its errors and the old one kept.
    func reloadPlan(into gateway: Gateway, reason: String) {
        do {
            gateway.replacePlan(try loadPlan())
        } catch {
            logger.log(.error, "dialplan-reload-refused", [("reason", reason), ("error", "\(error)")])
        }
    }

    /// Files a draft for each recording a previous run could not finish (killed, power cut): zero voice
    /// reports lost. Runs before the SIP port opens.
    func recoverInterruptedRecordings(_ desk: PhoneDesk) {
        let found = RecordingRecovery.scan(directory: settings.instanceRecordings) { problem in
            logger.log(.error, "recovery-problem", [("problem", problem)])
        }
        for recording in found {
            let exists = FileManager.default.fileExists(atPath: recording.wavPath)
            let report = PhoneDraft(
                callID: recording.sipCallID, callerNumber: recording.callerNumber, category: nil,
                confidential: nil, receivedAt: recording.startedAt, recordingPath: exists ? recording.wavPath : nil,
                recordingDurationMs: recording.durationMs, recordingSHA256: nil, dialplanVersion: recording.dialplanVersion,
                interrupted: true)
            switch desk.store(report) {
            case .success(let code):
                try? RecordingRecovery.markRecovered(recording)
                logger.log(.warning, "recovered-interrupted-recording", [
                    ("call", recording.sipCallID), ("code", code), ("ms", "\(recording.durationMs)"),
                ])
            case .failure(let error):
                logger.log(.error, "recovery-failed", [("call", recording.sipCallID), ("error", error.message)])
            }
        }
    }
}

