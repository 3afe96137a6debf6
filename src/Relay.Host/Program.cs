using Relay.Host.Cli;

return await RelayCommandLine.Create().Parse(args).InvokeAsync();
