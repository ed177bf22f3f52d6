using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Sysprint.Server.Console;

/// <summary>
/// The console's files (HTML, CSS, JavaScript, SVG), embedded in the server's assembly from
/// <c>Console/wwwroot</c> at build time: the binary serves them without a file system, a CDN or a
/// network. Each has its content type and a strong ETag (a SHA-256 of its bytes).
/// </summary>
internal static class ConsoleAssets
{
    private const string Prefix = "console/";

    private static readonly FrozenDictionary<string, Asset> s_assets = Load();

    /// <summary>The file at <paramref name="name"/> (<c>app.js</c>, <c>pages/alerts.js</c>), or null.</summary>
    public static Asset? Find(string name) => s_assets.GetValueOrDefault(name);

    /// <summary>Every embedded file's name.</summary>
    public static IEnumerable<string> Names => s_assets.Keys;

    private static FrozenDictionary<string, Asset> Load()
    {
        Assembly assembly = typeof(ConsoleAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            byte[] bytes = buffer.ToArray();
            string name = resource[Prefix.Length..].Replace('\\', '/');
            string etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..32] + "\"";
            assets[name] = new Asset(name, bytes, ContentType(name), etag);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".json" => "application/json; charset=utf-8",
        _ => "application/octet-stream",
    };

    /// <summary>One embedded file.</summary>
    public sealed record Asset(string Name, byte[] Bytes, string ContentType, string ETag);
}
