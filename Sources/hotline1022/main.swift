import Foundation

// Swift 6 makes top-level code @MainActor; the real work starts in a nonisolated function.
exit(CLI.main(CommandLine.arguments, root: rootCommands))
