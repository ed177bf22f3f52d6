using Sysprint.Cli;

return SysprintApp.Run(args, CliContext.FromConsole());
