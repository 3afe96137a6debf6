using System.Diagnostics.CodeAnalysis;

// Test namespaces mirror src (Relay.HttpProxy.Exit); no other language consumes test classes.
[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Scope = "namespace", Target = "~N:Relay.HttpProxy.Tests.Exit", Justification = "Mirrors the src namespace.")]
