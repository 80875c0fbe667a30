let agentCommands = Command.group("agent", "Agents' work on recorded cases", [])
