package probes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/smithy-go"
)

// AWSCallError is one line naming the service, the call and what AWS
// said; when AWS said nothing it points at what to check instead. timeout
// is the bound the caller put on the call.
func AWSCallError(service, op string, err error, timeout time.Duration) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s %s: %s: %s", service, op, ae.ErrorCode(), firstLine(ae.ErrorMessage()))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: no answer within %s (check aws.endpoint and the network)", service, op, timeout)
	}
	return fmt.Errorf("%s %s: %s (check the AWS credentials and aws.region)", service, op, firstLine(err.Error()))
}

// IsAWSCode reports whether err is an AWS API error with this code.
func IsAWSCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
