// What tlsd and starttlsd share before the relay: the certificate and key (-c/-k or ucspi-ssl's
// CERTFILE/KEYFILE), loaded before anything is read from the client, and the server side of the
// handshake on descriptors 0 and 1 with its deadline (-t).
using System.Collections.Generic;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Toolkit;

sealed class TlsServer
{
    const int DefaultTimeout = 30;
    const int MillisecondsPerSecond = 1000;

    readonly byte[] warning;
    readonly SslServerAuthenticationOptions options;
    readonly long timeout;
    /// <summary>The environment this program started with, for the program it runs: loading
    /// OpenSSL changes this process's own.</summary>
    public readonly List<byte[]> Started;

    TlsServer(byte[] warning, SslServerAuthenticationOptions options, long timeout, List<byte[]> started)
    {
        this.warning = warning;
        this.options = options;
        this.timeout = timeout;
        Started = started;
    }

    /// <summary>The command line's certificate, key and timeout options, shared by both programs.</summary>
    public sealed class Settings
    {
        public byte[] Cert, Key;
        public ulong Timeout = DefaultTimeout;

        /// <summary>Takes option c, k or t; false for any other.</summary>
        public bool Take(int option, byte[] value, Action usage)
        {
            switch (option)
            {
                case 'c': Cert = value; return true;
                case 'k': Key = value; return true;
                case 't':
                    if (Numbers.ScanULong(value, out Timeout) != value.Length || Timeout == 0) usage();
                    return true;
                default: return false;
            }
        }
    }

    /// <summary>Loads the certificate chain and key, or dies with a message saying which file
    /// is wrong and how (exit 111): the program is then never run.</summary>
    public static TlsServer Load(string name, Settings s)
    {
        var started = new List<byte[]>(Args.Environ());
        var fatal = Encoding.ASCII.GetBytes(name + ": fatal: ");
        var cert = s.Cert ?? Args.GetEnv("CERTFILE"u8);
        var key = s.Key ?? Args.GetEnv("KEYFILE"u8);
        if (cert == null) Errors.Die(100, fatal, "no certificate: give -c or set CERTFILE"u8);
        key ??= cert; // one file holding both, as ucspi-ssl allows
        var certText = ReadPem(fatal, "unable to read certificate "u8, cert);
        var keyText = ReadPem(fatal, "unable to read key "u8, key);

        var chain = new X509Certificate2Collection();
        try { chain.ImportFromPem(certText); }
        catch (CryptographicException) { Errors.Die(111, fatal, "unable to use certificate "u8, cert, ": bad PEM data"u8); }
        if (chain.Count == 0) Errors.Die(111, fatal, "unable to use certificate "u8, cert, ": no CERTIFICATE in it"u8);

        switch (WithKey(chain[0], keyText, out var leaf))
        {
            case Key.Missing: Errors.Die(111, fatal, "unable to use key "u8, key, ": no unencrypted RSA or EC PRIVATE KEY in it"u8); break;
            case Key.NotTheCertificates: Errors.Die(111, fatal, "unable to use key "u8, key, ": it does not match the certificate in "u8, cert); break;
        }

        var intermediates = new X509Certificate2Collection();
        for (int i = 1; i < chain.Count; i++) intermediates.Add(chain[i]);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = Context(leaf, intermediates),
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = false,
            AllowRenegotiation = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        return new TlsServer(Encoding.ASCII.GetBytes(name + ": warning: "), options, (long)s.Timeout * MillisecondsPerSecond, started);
    }

    // Where OpenSSL, and .NET through it, finds the system's trusted CA certificates.
    static readonly byte[][] TrustStoreVariables = ["SSL_CERT_FILE"u8.ToArray(), "SSL_CERT_DIR"u8.ToArray()];

    /// <summary>The certificate with the intermediates to send. Making it builds the chain, for
    /// which .NET reads every CA certificate of the system's trust store (nine tenths of a start's
    /// time): the chain sent is the certificate file's in any case, so the store is pointed at
    /// nothing in this process's own environment (the program gets the one tlsd started with).</summary>
    static SslStreamCertificateContext Context(X509Certificate2 leaf, X509Certificate2Collection intermediates)
    {
        foreach (var v in TrustStoreVariables) Exec.SetOwnEnv(v, "/dev/null"u8.ToArray());
        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    static string ReadPem(byte[] fatal, ReadOnlySpan<byte> what, byte[] path)
    {
        var data = Files.ReadAll(path, out int errno);
        if (data == null) Errors.DieSys(111, errno, fatal, what, path, ": "u8);
        return Encoding.ASCII.GetString(data);
    }

    enum Key { Fits, Missing, NotTheCertificates }

    /// <summary>The certificate with the key in keyText, if it holds one that fits.</summary>
    static Key WithKey(X509Certificate2 cert, string keyText, out X509Certificate2 withKey)
    {
        withKey = null;
        AsymmetricAlgorithm key = Import(RSA.Create(), keyText) ?? Import(ECDsa.Create(), keyText);
        if (key == null) return Key.Missing;
        try { withKey = key is RSA rsa ? cert.CopyWithPrivateKey(rsa) : cert.CopyWithPrivateKey((ECDsa)key); }
        catch (Exception e) when (e is ArgumentException or CryptographicException) { return Key.NotTheCertificates; }
        return Key.Fits;
    }

    static AsymmetricAlgorithm Import(AsymmetricAlgorithm key, string text)
    {
        try { key.ImportFromPem(text); return key; }
        catch (Exception e) when (e is ArgumentException or CryptographicException) { return null; }
    }

    /// <summary>The handshake on the connection (descriptors 0 and 1), within the timeout; on
    /// failure a warning saying why and exit 111.</summary>
    public SslStream Handshake()
    {
        var connection = new FdStream(0, 1);
        var tls = new SslStream(connection, leaveInnerStreamOpen: true);
        connection.Deadline = Clock.Now() + timeout;
        try { tls.AuthenticateAsServer(options); }
        catch (Exception e) { Errors.Die(111, warning, "TLS handshake failed: "u8, Reason(e)); }
        connection.Deadline = FdStream.NoDeadline;
        return tls;
    }

    /// <summary>Why a TLS operation failed, for a warning.</summary>
    public static byte[] Reason(Exception e)
    {
        for (var x = e; x != null; x = x.InnerException)
        {
            if (x is TimeoutException) return "timed out"u8.ToArray();
            if (x is SystemError s) return Errors.Text(s.Errno).ToArray();
        }
        // The innermost: OpenSSL's own reason where there is one.
        var m = e;
        while (m.InnerException != null) m = m.InnerException;
        return Encoding.UTF8.GetBytes(m.Message);
    }

    /// <summary>The program's environment: the one this program started with, and ucspi-ssl's
    /// variables: SSL_PROTOCOL as OpenSSL names the version, SSL_CIPHER the suite's IANA name.</summary>
    public List<byte[]> Environment(SslStream tls)
    {
        var env = new List<byte[]>();
        foreach (var e in Started)
            if (!e.AsSpan().StartsWith("SSL_PROTOCOL="u8) && !e.AsSpan().StartsWith("SSL_CIPHER="u8)) env.Add(e);
        env.Add(Exec.Change("SSL_PROTOCOL"u8, tls.SslProtocol == SslProtocols.Tls13 ? "TLSv1.3"u8 : "TLSv1.2"u8));
        env.Add(Exec.Change("SSL_CIPHER"u8, Encoding.ASCII.GetBytes(tls.NegotiatedCipherSuite.ToString())));
        return env;
    }
}
