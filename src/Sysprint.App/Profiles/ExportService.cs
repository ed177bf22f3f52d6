using System.Text.Encodings.Web;
using System.Text.Json;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Storage;

namespace Sysprint.App.Profiles;

/// <summary>Writing a profile's fingerprint (and its seal, if sealed) to an export file (<c>export</c>).</summary>
public static class ExportService
{
    /// <summary>Writes profile <paramref name="name"/> of <paramref name="store"/> to <paramref name="path"/>; returns what was written.</summary>
    /// <exception cref="SysprintException">No such profile (InputMissing).</exception>
    public static ProfileExport Export(IFingerprintStore store, SyscallTable table, string name, string path)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(path);
        ProfileInfo info = store.FindProfile(name) ?? throw new SysprintException(ErrorKind.InputMissing, $"{store.Location}: no profile '{name}'");
        ProfileExport export = ProfileExport.FromStore(store, info, table);
        using (FileStream stream = File.Create(path))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            export.Write(json);
        }

        return export;
    }
}
