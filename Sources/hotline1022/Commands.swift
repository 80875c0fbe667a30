/// Every command of `hotline1022`, in one place. Each command is defined in its own file.
let rootCommands: [Command] = [
    serveCommand,
    agentCommands,
    promptCommands,
    dialplanCommands,
    ticketCommands,
    reportCommands,
    unitsCommands,
    calendarCommands,
    unitWorkCommands,
    reviewCommands,
    overdueCommand,
    outboxCommands,
    transcribeCommands,
    userCommands,
    webCommand,
    open311Commands,
]
