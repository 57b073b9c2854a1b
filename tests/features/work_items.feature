Feature: Work items
  Scenario: Publish a work item
    Given the work queue exists
    When I publish "hello" to the work queue
    Then I get the item's id
    And the work queue holds 1 ready item and has 1 published

  Scenario: Publish a work item with any bytes
    Given the work queue exists and is started
    When I publish a payload with spaces, newlines, a NUL byte and bytes above 127, and an empty payload
    Then retrieving them gives the payloads back byte for byte

  Scenario: Publish to a work queue that does not exist
    Given the work queue does not exist
    When I publish "hello" to the work queue
    Then I get error 404

  Scenario: Retrieve a work item
    Given the work queue is started and holds "hello"
    When I retrieve from the work queue
    Then I get "hello" with its id
    And the work queue holds 0 ready items and 1 leased

  Scenario: Retrieve from a work queue that does not exist
    Given the work queue does not exist
    When I retrieve from the work queue
    Then I get error 404

  Scenario: Work items are retrieved in the order they were published
    Given the work queue is started
    When I publish 10 items
    Then retrieving 10 times gives them in publish order with increasing ids

  Scenario: Acknowledge a work item
    Given I hold a work item
    When I acknowledge it
    Then it is gone: the work queue holds no item and has 1 completed

  Scenario: Acknowledge a work item twice
    Given I acknowledged a work item
    When I acknowledge it again
    Then I get error 404

  Scenario: Acknowledge a work item held by another connection
    Given another connection holds a work item
    When I acknowledge it
    Then I get error 404
    And the other connection still holds it and can acknowledge it

  Scenario: Release a work item
    Given I hold a work item
    When I release it
    Then it is ready again and the next retrieve gets it

  Scenario: A released work item goes back to its place
    Given the work queue holds "a", "b" and "c" and I hold "a" and "b"
    When I release "b" and then "a"
    Then retrieving gives "a", "b", "c" in that order

  Scenario: Purge a work queue
    Given the work queue holds 3 ready items
    When I purge the work queue
    Then I get 3
    And the work queue holds no item

  Scenario: Purge leaves leased work items
    Given the work queue holds 3 items and I hold one of them
    When I purge the work queue
    Then I get 2
    And I still hold my item and can acknowledge it

  Scenario: A stopped work queue holds its items until it is started
    Given the work queue exists and is stopped
    When I publish "hello" to the work queue
    Then retrieving gives nothing, also with a wait
    And the work queue holds 1 ready item
    When I start the work queue
    Then retrieving gives "hello"

  Scenario: A worker that disconnects returns its work items
    Given the work queue holds items 1 to 4
    And a worker holds items 1 to 3 and another holds item 4
    When the first worker disconnects
    Then items 1 to 3 are ready again
    And retrieving gives them in id order

  Scenario: A wait that ends with no work item
    Given the work queue is started and empty
    When I retrieve with a wait of 50 ms
    Then I get EMPTY

  Scenario: A waiting worker gets a work item published while it waits
    Given the work queue is started and empty
    And a worker is retrieving with a long wait
    When I publish "hello"
    Then the worker gets "hello"

  Scenario: A waiting worker gets a work item when a stopped work queue is started
    Given the work queue exists, is stopped and holds "hello"
    And a worker is retrieving with a long wait
    When I start the work queue
    Then the worker gets "hello"

  Scenario: A waiting worker gets a released work item
    Given the work queue is started and I hold its only item "hello"
    And a worker is retrieving with a long wait
    When I release the item
    Then the worker gets "hello" under the same id
