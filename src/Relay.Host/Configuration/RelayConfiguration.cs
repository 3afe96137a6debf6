using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Relay.Host.Configuration;

/// <summary>
/// Reads a node's configuration: the JSON file, then environment variables (<c>Relay__Node__Id</c>)
/// over it; relative paths are taken against the file's folder.
/// </summary>
public static class RelayConfiguration
{
    public static IConfigurationRoot Build(string configFile, IDictionary<string, string?>? overrides = null)
    {
        var path = Path.GetFullPath(configFile);
        var builder = new ConfigurationBuilder()
            .SetBasePath(Path.GetDirectoryName(path)!)
            .AddJsonFile(path, optional: false, reloadOnChange: false)
            .AddEnvironmentVariables();
        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides);
        }

        return builder.Build();
    }

    /// <summary>Binds and validates; throws <see cref="OptionsValidationException"/> naming every bad key.</summary>
    public static RelayOptions Load(string configFile, IDictionary<string, string?>? overrides = null)
    {
        var path = Path.GetFullPath(configFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The config file '{path}' does not exist.", path);
        }

        var configuration = Build(path, overrides);
        var unknown = ConfigurationKeyCheck.FindUnknownKeys(configuration, path);
        if (unknown.Count > 0)
        {
            throw new OptionsValidationException(RelayOptions.SectionName, typeof(RelayOptions), unknown);
        }

        var options = new RelayOptions();
        configuration.GetSection(RelayOptions.SectionName).Bind(options);
        ResolvePaths(options, Path.GetDirectoryName(path)!);
        var result = new RelayOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(RelayOptions.SectionName, typeof(RelayOptions), result.Failures);
        }

        return options;
    }

    private static void ResolvePaths(RelayOptions options, string baseDirectory)
    {
        string Resolve(string value) => string.IsNullOrWhiteSpace(value) ? value : Path.GetFullPath(value, baseDirectory);
        options.Node.PrivateKeyFile = Resolve(options.Node.PrivateKeyFile);
        options.Node.StateDirectory = Resolve(options.Node.StateDirectory);
        foreach (var peer in options.Peers)
        {
            peer.PublicKeyFile = Resolve(peer.PublicKeyFile);
        }

        options.Exchange.Outbox = Resolve(options.Exchange.Outbox);
        options.Exchange.Inbox = Resolve(options.Exchange.Inbox);
        options.Exchange.StateDirectory = options.Node.StateDirectory;
    }
}
