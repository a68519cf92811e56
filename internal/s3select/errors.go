package s3select

import (
	"net/http"

	"github.com/anode/anode/internal/s3err"
)

func selectErr(code, msg string) *s3err.Error {
	return &s3err.Error{Code: code, Status: http.StatusBadRequest, Message: msg}
}

// The S3 Select errors, with the codes of the Amazon S3 API reference, "List
// of SELECT Object Content Error Codes". All are answered with 400.
var (
	ErrMalformedXML                = s3err.MalformedXML
	ErrInvalidExpressionType       = selectErr("InvalidExpressionType", "The ExpressionType is invalid. Only SQL expressions are supported.")
	ErrMissingRequiredParameter    = selectErr("MissingRequiredParameter", "The SelectRequest entity is missing a required parameter.")
	ErrInvalidRequestParameter     = selectErr("InvalidRequestParameter", "The value of a parameter in SelectRequest element is invalid.")
	ErrExpressionTooLong           = selectErr("ExpressionTooLong", "The SQL expression is too long. The maximum byte-length for an SQL expression is 256 KB.")
	ErrInvalidCompressionFormat    = selectErr("InvalidCompressionFormat", "The file is not in a supported compression format. Only GZIP and BZIP2 are supported.")
	ErrInvalidFileHeaderInfo       = selectErr("InvalidFileHeaderInfo", "The FileHeaderInfo is invalid. Only NONE, USE, and IGNORE are supported.")
	ErrInvalidJSONType             = selectErr("InvalidJsonType", "The JsonType is invalid. Only DOCUMENT and LINES are supported.")
	ErrInvalidQuoteFields          = selectErr("InvalidQuoteFields", "The QuoteFields is invalid. Only ALWAYS and ASNEEDED are supported.")
	ErrObjectSerializationConflict = selectErr("ObjectSerializationConflict", "The InputSerialization specified must have exactly one format.")
	ErrInvalidDataSource           = selectErr("InvalidDataSource", "Invalid data source type. Only CSV, JSON, and Parquet are supported.")
	ErrUnsupportedRangeHeader      = selectErr("UnsupportedRangeHeader", "Range header is not supported for this operation.")
	ErrInvalidScanRange            = selectErr("InvalidRequestParameter", "The ScanRange is invalid.")

	ErrMissingHeaders      = selectErr("MissingHeaders", "Some headers in the query are missing from the file. Check the file and try again.")
	ErrInvalidColumnIndex  = selectErr("InvalidColumnIndex", "The column index is invalid. Please check the service documentation and try again.")
	ErrCSVParsingError     = selectErr("CSVParsingError", "Encountered an error parsing the CSV file. Check the file and try again.")
	ErrJSONParsingError    = selectErr("JSONParsingError", "Encountered an error parsing the JSON file. Check the file and try again.")
	ErrParquetParsingError = selectErr("ParquetParsingError", "Encountered an error parsing the Parquet file. Check the file and try again.")
	ErrTruncatedInput      = selectErr("TruncatedInput", "Object decompression failed. Check that the object is properly compressed using the format specified in the request.")
	ErrUnrecognizedFormat  = selectErr("UnrecognizedFormatException", "We encountered an invalid record type.")
	ErrOverMaxRecordSize   = selectErr("OverMaxRecordSize", "The length of a record in the input or result is greater than maxCharsPerRecord of 1 MB.")

	ErrLexerInvalidChar                 = selectErr("LexerInvalidChar", "The SQL expression contains an invalid character.")
	ErrLexerInvalidLiteral              = selectErr("LexerInvalidLiteral", "The SQL expression contains an invalid literal.")
	ErrParseUnexpectedToken             = selectErr("ParseUnexpectedToken", "The SQL expression contains an unexpected token.")
	ErrParseUnexpectedTerm              = selectErr("ParseUnexpectedTerm", "The SQL expression contains an unexpected term.")
	ErrParseExpectedExpression          = selectErr("ParseExpectedExpression", "Did not find the expected SQL expression.")
	ErrParseExpectedKeyword             = selectErr("ParseExpectedKeyword", "Did not find the expected keyword in the SQL expression.")
	ErrParseExpectedTypeName            = selectErr("ParseExpectedTypeName", "Did not find the expected type name in the SQL expression.")
	ErrParseExpectedDatePart            = selectErr("ParseExpectedDatePart", "Did not find the expected date part in the SQL expression.")
	ErrParseSelectMissingFrom           = selectErr("ParseSelectMissingFrom", "The SQL expression contains a missing FROM after the SELECT list.")
	ErrParseEmptySelect                 = selectErr("ParseEmptySelect", "The SQL expression contains an empty SELECT.")
	ErrParseAsteriskIsNotAlone          = selectErr("ParseAsteriskIsNotAloneInSelectList", "Other expressions are not allowed in the SELECT list when '*' is used without dot notation in the SQL expression.")
	ErrParseUnsupportedCallWithStar     = selectErr("ParseUnsupportedCallWithStar", "Only COUNT with (*) as a parameter is supported in the SQL expression.")
	ErrParseNonUnaryAggregate           = selectErr("ParseNonUnaryAgregateFunctionCall", "Only one argument is supported for aggregate functions in the SQL expression.")
	ErrParseExpectedNumber              = selectErr("ParseExpectedNumber", "Did not find the expected number in the SQL expression.")
	ErrUnsupportedSyntax                = selectErr("UnsupportedSyntax", "Encountered invalid syntax.")
	ErrUnsupportedSQLOperation          = selectErr("UnsupportedSqlOperation", "Encountered an unsupported SQL operation.")
	ErrUnsupportedSQLStructure          = selectErr("UnsupportedSqlStructure", "Encountered an unsupported SQL structure. Check the SQL Reference.")
	ErrUnsupportedFunction              = selectErr("UnsupportedFunction", "Encountered an unsupported SQL function.")
	ErrInvalidTableAlias                = selectErr("InvalidTableAlias", "The SQL expression contains an invalid table alias.")
	ErrEvaluatorNegativeLimit           = selectErr("EvaluatorNegativeLimit", "The LIMIT clause must not be negative.")
	ErrIncorrectSQLFunctionArgumentType = selectErr("IncorrectSqlFunctionArgumentType", "Incorrect type of arguments in function call in the SQL expression.")
	ErrEvaluatorInvalidArguments        = selectErr("EvaluatorInvalidArguments", "Incorrect number of arguments in the function call in the SQL expression.")
	ErrCastFailed                       = selectErr("CastFailed", "Attempt to convert from one data type to another using CAST failed in the SQL expression.")
	ErrInvalidCast                      = selectErr("InvalidCast", "Attempt to convert from one data type to another using CAST failed in the SQL expression.")
	ErrIntegerOverflow                  = selectErr("IntegerOverflow", "Int overflow or underflow in the SQL expression.")
	ErrLikeInvalidInputs                = selectErr("LikeInvalidInputs", "Invalid argument given to the LIKE clause in the SQL expression.")
	ErrInvalidDataType                  = selectErr("InvalidDataType", "The SQL expression contains an invalid data type.")
	ErrValueParseFailure                = selectErr("ValueParseFailure", "Time stamp parse failure in the SQL expression.")
	ErrDivisionByZero                   = selectErr("DivisionByZero", "Division by zero in the SQL expression.")
	ErrInvalidKeyPath                   = selectErr("InvalidKeyPath", "Key path in the SQL expression is invalid.")
	ErrEvaluatorBindingDoesNotExist     = selectErr("EvaluatorBindingDoesNotExist", "A column name or a path provided does not exist in the SQL expression.")
	ErrInternal                         = s3err.InternalError
)
