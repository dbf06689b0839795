package io.stratus.control.adapters.certs;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/** PEM encoding and decoding of certificates and (unencrypted PKCS#8) private keys. */
public final class Pem {

  private Pem() {}

  public static String certificates(List<X509Certificate> certificates) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      for (X509Certificate c : certificates) {
        writer.writeObject(c);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  public static String certificate(X509Certificate certificate) {
    return certificates(List.of(certificate));
  }

  /** PKCS#8 ("BEGIN PRIVATE KEY"), the form Netty and gRPC accept for server and client keys. */
  public static String privateKey(PrivateKey key) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(new JcaPKCS8Generator(key, null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** A key pair as two PEM blocks: PKCS#8 private key, then the public key (account keys). */
  public static String keyPair(KeyPair pair) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(new JcaPKCS8Generator(pair.getPrivate(), null));
      writer.writeObject(pair.getPublic());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** The key pair written by {@link #keyPair}. */
  public static KeyPair parseKeyPair(String pem) {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try {
      java.security.PublicKey publicKey = null;
      for (Object o : objects(pem)) {
        if (o instanceof SubjectPublicKeyInfo info) {
          publicKey = converter.getPublicKey(info);
        }
      }
      if (publicKey == null) {
        throw new IllegalArgumentException("no public key in PEM");
      }
      return new KeyPair(publicKey, parsePrivateKey(pem));
    } catch (IOException e) {
      throw new IllegalArgumentException("invalid key pair in PEM", e);
    }
  }

  /** Every certificate in the text, in order; other PEM objects are skipped. */
  public static List<X509Certificate> parseCertificates(String pem) {
    List<X509Certificate> result = new ArrayList<>();
    for (Object o : objects(pem)) {
      if (o instanceof X509CertificateHolder holder) {
        try {
          result.add(new JcaX509CertificateConverter().getCertificate(holder));
        } catch (CertificateException e) {
          throw new IllegalArgumentException("invalid certificate in PEM", e);
        }
      }
    }
    return List.copyOf(result);
  }

  /** The first private key in the text (PKCS#8 or traditional EC/RSA form). */
  public static PrivateKey parsePrivateKey(String pem) {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try {
      for (Object o : objects(pem)) {
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          return converter.getKeyPair(pair).getPrivate();
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("invalid private key in PEM", e);
    }
    throw new IllegalArgumentException("no private key in PEM");
  }

  private static List<Object> objects(String pem) {
    List<Object> result = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        result.add(o);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("invalid PEM", e);
    }
    return result;
  }
}
