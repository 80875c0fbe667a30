let serveCommand = Command.leaf("serve", "Run the SIP gateway", help: "[options]") { args in
    try args.finish()
}
