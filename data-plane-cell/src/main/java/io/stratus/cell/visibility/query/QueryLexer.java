package io.stratus.cell.visibility.query;

import io.stratus.cell.common.CellException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a list filter into tokens. Follows the MySQL-flavoured lexical rules Temporal's parser
 * uses: single- or double-quoted strings with backslash escapes or doubled quotes, backtick-quoted
 * names, case-insensitive keywords (recognised by the parser, since names are case-sensitive).
 */
final class QueryLexer {
  enum Type {
    WORD, // bare identifier or keyword
    QUOTED_NAME, // `Custom Field`
    STRING,
    NUMBER,
    OPERATOR, // = != <> < > <= >=
    LPAREN,
    RPAREN,
    COMMA,
    EOF
  }

  /**
   * @param position 1-based character position of the token's first character, as reported in
   *     error messages
   */
  record Token(Type type, String text, int position) {
    boolean isKeyword(String keyword) {
      return type == Type.WORD && text.equalsIgnoreCase(keyword);
    }

    /** How the token is quoted back to the user in "near '...'" messages. */
    String display() {
      return type == Type.EOF ? "end of query" : text;
    }
  }

  private final String src;
  private int i;

  private QueryLexer(String src) {
    this.src = src;
  }

  static List<Token> tokenize(String src) {
    return new QueryLexer(src).run();
  }

  private List<Token> run() {
    List<Token> out = new ArrayList<>();
    while (true) {
      while (i < src.length() && Character.isWhitespace(src.charAt(i))) {
        i++;
      }
      if (i >= src.length()) {
        out.add(new Token(Type.EOF, "", src.length() + 1));
        return out;
      }
      int start = i;
      char c = src.charAt(i);
      if (c == '(' || c == ')' || c == ',') {
        i++;
        Type t = c == '(' ? Type.LPAREN : c == ')' ? Type.RPAREN : Type.COMMA;
        out.add(new Token(t, String.valueOf(c), start + 1));
      } else if (c == '\'' || c == '"') {
        out.add(new Token(Type.STRING, readString(c), start + 1));
      } else if (c == '`') {
        out.add(new Token(Type.QUOTED_NAME, readQuotedName(), start + 1));
      } else if (isDigit(c) || (c == '-' || c == '.') && startsNumber(i)) {
        out.add(new Token(Type.NUMBER, readNumber(), start + 1));
      } else if (c == '=' || c == '!' || c == '<' || c == '>') {
        out.add(new Token(Type.OPERATOR, readOperator(), start + 1));
      } else if (Character.isLetter(c) || c == '_') {
        while (i < src.length() && (Character.isLetterOrDigit(src.charAt(i)) || src.charAt(i) == '_')) {
          i++;
        }
        out.add(new Token(Type.WORD, src.substring(start, i), start + 1));
      } else {
        throw QueryParser.syntaxError(start + 1, String.valueOf(c));
      }
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private boolean startsNumber(int at) {
    int j = at;
    if (src.charAt(j) == '-') {
      j++;
    }
    if (j < src.length() && src.charAt(j) == '.') {
      j++;
    }
    return j < src.length() && isDigit(src.charAt(j));
  }

  private String readNumber() {
    int start = i;
    if (src.charAt(i) == '-') {
      i++;
    }
    while (i < src.length() && (isDigit(src.charAt(i)) || src.charAt(i) == '.')) {
      i++;
    }
    if (i < src.length() && (src.charAt(i) == 'e' || src.charAt(i) == 'E')) {
      int save = i;
      i++;
      if (i < src.length() && (src.charAt(i) == '+' || src.charAt(i) == '-')) {
        i++;
      }
      if (i < src.length() && isDigit(src.charAt(i))) {
        while (i < src.length() && isDigit(src.charAt(i))) {
          i++;
        }
      } else {
        i = save;
      }
    }
    // "5abc" is one malformed token rather than a number followed by a name.
    if (i < src.length() && (Character.isLetter(src.charAt(i)) || src.charAt(i) == '_')) {
      throw QueryParser.syntaxError(start + 1, src.substring(start, Math.min(src.length(), i + 1)));
    }
    return src.substring(start, i);
  }

  private String readOperator() {
    char c = src.charAt(i++);
    char next = i < src.length() ? src.charAt(i) : '\0';
    if ((c == '<' || c == '>' || c == '!') && next == '=') {
      i++;
      return c + "=";
    }
    if (c == '<' && next == '>') {
      i++;
      return "!="; // SQL's other spelling of not-equal
    }
    if (c == '!') {
      throw QueryParser.syntaxError(i, "!");
    }
    return String.valueOf(c);
  }

  private String readString(char quote) {
    int start = i;
    StringBuilder sb = new StringBuilder();
    i++;
    while (i < src.length()) {
      char c = src.charAt(i++);
      if (c == quote) {
        if (i < src.length() && src.charAt(i) == quote) {
          sb.append(quote); // doubled quote is a literal quote
          i++;
          continue;
        }
        return sb.toString();
      }
      if (c == '\\' && i < src.length()) {
        char e = src.charAt(i++);
        sb.append(
            switch (e) {
              case 'n' -> '\n';
              case 't' -> '\t';
              case 'r' -> '\r';
              case '0' -> '\0';
              default -> e;
            });
        continue;
      }
      sb.append(c);
    }
    throw CellException.invalidArgument(
        "invalid query: unterminated string starting at position " + (start + 1));
  }

  private String readQuotedName() {
    int start = i;
    int close = src.indexOf('`', i + 1);
    if (close < 0) {
      throw CellException.invalidArgument(
          "invalid query: unterminated `name` starting at position " + (start + 1));
    }
    i = close + 1;
    return src.substring(start + 1, close);
  }
}
